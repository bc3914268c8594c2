// `codeyard workspace list|create|rm|exec|push|pull|move`: the logged-in user's workspaces on
// a running server (REST, docs/api.md); `move` puts one in another organization. `exec` prints the
// program's output and exits with its exit code (128+N for a signal N, 1 for another verdict
// without one); push and pull are in workspace_sync.cpp.
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "commands.hpp"
#include "workspace_sync.hpp"

namespace codeyard::cli {
namespace {

struct WorkspaceFlags {
  std::string id;
  std::string name;
  std::string image;
  std::string dir;
  std::string stdin_file;
  double time_limit_s = 0;
  std::vector<std::string> argv;
  bool json = false;
};

std::string Str(const boost::json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (f == nullptr || f->is_null()) return "";
  if (f->is_string()) return std::string(f->as_string());
  return boost::json::serialize(*f);
}

void List(const WorkspaceFlags& flags) {
  ApiClient api;
  const boost::json::array items = ListAll(api, "/workspaces");
  if (flags.json) {
    std::cout << boost::json::serialize(items) << "\n";
    return;
  }
  for (const auto& w : items) {
    std::printf("%s\t%s\t%s\n", Str(w, "id").c_str(), Str(w, "state").c_str(),
                Str(w, "name").c_str());
  }
}

void Create(const WorkspaceFlags& flags) {
  ApiClient api;
  boost::json::object body{{"name", flags.name}};
  if (!flags.image.empty()) body["image"] = flags.image;
  const boost::json::value w = api.Call("POST", "/workspaces", body);
  if (flags.json) {
    std::cout << boost::json::serialize(w) << "\n";
  } else {
    std::printf("%s\n", Str(w, "id").c_str());
  }
}

void Remove(const WorkspaceFlags& flags) {
  ApiClient api;
  (void)api.Call("DELETE", "/workspaces/" + EscapePath(flags.id));
  std::printf("deleted %s\n", flags.id.c_str());
}

// follow17: POST /workspaces/{id}/move; the server checks membership and the target's quotas.
void Move(const WorkspaceFlags& flags) {
  ApiClient api;
  const boost::json::value w =
      api.Call("POST", "/workspaces/" + EscapePath(flags.id) + "/move", {{"org_id", flags.name}});
  if (flags.json) {
    std::cout << boost::json::serialize(w) << "\n";
  } else {
    std::printf("%s\t%s\t%s\n", Str(w, "id").c_str(), Str(w, "org_id").c_str(),
                Str(w, "name").c_str());
  }
}

void Exec(const WorkspaceFlags& flags) {
  if (flags.argv.empty()) {
    Raise(Error(Error::Code::kInvalidArgument, "workspace exec: give the command after --"));
  }
  boost::json::array argv;
  for (const std::string& a : flags.argv) argv.emplace_back(a);
  boost::json::object body{{"argv", argv}};
  if (!flags.stdin_file.empty()) {
    std::ifstream in(flags.stdin_file, std::ios::binary);
    if (!in) Raise(Error(Error::Code::kInvalidArgument, "cannot read " + flags.stdin_file));
    std::stringstream text;
    text << in.rdbuf();
    body["stdin"] = text.str();
  }
  if (flags.time_limit_s > 0) body["time_limit_s"] = flags.time_limit_s;
  ApiClient api;
  const boost::json::value r =
      api.Call("POST", "/workspaces/" + EscapePath(flags.id) + "/exec", body);
  if (flags.json) {
    std::cout << boost::json::serialize(r) << "\n";
  } else {
    const std::string out = Str(r, "stdout");
    const std::string err = Str(r, "stderr");
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    std::fwrite(err.data(), 1, err.size(), stderr);
  }
  const auto& o = r.as_object();
  if (const auto* code = o.if_contains("exit_code"); code != nullptr && code->is_int64()) {
    if (code->as_int64() != 0) throw CommandFailed(static_cast<int>(code->as_int64() & 0xff), "");
    return;
  }
  if (const auto* sig = o.if_contains("signal"); sig != nullptr && sig->is_int64()) {
    throw CommandFailed(128 + static_cast<int>(sig->as_int64()), "");
  }
  throw CommandFailed(kExitFailed, "workspace exec: " + Str(r, "verdict"));
}

}  // namespace

boost::json::array ListAll(ApiClient& api, const std::string& path) {
  boost::json::array all;
  std::string cursor;
  for (;;) {
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    std::string url = path + sep + "limit=200";
    if (!cursor.empty()) url += "&cursor=" + EscapePath(cursor);
    const boost::json::value page = api.Call("GET", url);
    for (const auto& item : page.at("items").as_array()) all.push_back(item);
    const auto* next = page.as_object().if_contains("next_cursor");
    if (next == nullptr || !next->is_string()) break;
    cursor = next->as_string();
  }
  return all;
}

void AddWorkspaceCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("workspace", "your workspaces on the server you logged in to");
  cmd->alias("ws");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  id=$(codeyard workspace create demo)\n"
      "  codeyard workspace push $id ./src\n"
      "  codeyard workspace exec $id -- python3 main.py\n"
      "  codeyard workspace pull $id ./src\n"
      "  codeyard workspace list --json");
  auto flags = std::make_shared<WorkspaceFlags>();

  auto* list = cmd->add_subcommand("list", "list your workspaces");
  list->footer(
      "Examples:\n"
      "  codeyard workspace list\n"
      "  codeyard workspace list --json");
  list->add_flag("--json", flags->json, "print a JSON array of workspaces");
  list->callback([flags] { List(*flags); });

  auto* create = cmd->add_subcommand("create", "create a workspace; prints its id");
  create->footer(
      "Examples:\n"
      "  codeyard workspace create demo\n"
      "  codeyard workspace create data --image py --json");
  create->add_option("name", flags->name, "a name of yours not used yet")->required();
  create->add_option("--image", flags->image, "the image its pods run (default: the server's)");
  create->add_flag("--json", flags->json, "print the workspace as JSON");
  create->callback([flags] { Create(*flags); });

  auto* rm = cmd->add_subcommand("rm", "delete a workspace and its files");
  rm->footer(
      "Examples:\n"
      "  codeyard workspace rm $id");
  rm->add_option("id", flags->id, "workspace id")->required();
  rm->callback([flags] { Remove(*flags); });

  auto* exec = cmd->add_subcommand("exec", "run a command in a workspace; exits with its code");
  exec->footer(
      "Examples:\n"
      "  codeyard workspace exec $id -- python3 main.py\n"
      "  codeyard workspace exec $id --stdin in.txt --time-limit 5 -- ./a.out");
  exec->add_option("id", flags->id, "workspace id")->required();
  exec->add_option("argv", flags->argv, "the command, after --")->required();
  exec->add_option("--stdin", flags->stdin_file, "file fed to the command's stdin")
      ->check(CLI::ExistingFile);
  exec->add_option("--time-limit", flags->time_limit_s, "CPU seconds (at most 25)")
      ->check(CLI::Range(0.01, 25.0));
  exec->add_flag("--json", flags->json, "print the server's answer as JSON");
  exec->callback([flags] { Exec(*flags); });

  AddWorkspaceSyncCommands(*cmd);

  // follow17: move to another organization.
  auto* move = cmd->add_subcommand("move", "move a workspace into another organization");
  move->footer(
      "Examples:\n"
      "  codeyard workspace move $id cs101\n"
      "  codeyard workspace move $id ~ada --json");
  move->add_option("id", flags->id, "workspace id")->required();
  move->add_option("org", flags->name, "organization id or slug (~username: a personal one)")
      ->required();
  move->add_flag("--json", flags->json, "print the workspace as JSON");
  move->callback([flags] { Move(*flags); });
}

}  // namespace codeyard::cli
