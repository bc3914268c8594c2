// `codeyard admin ...`: administration of a running server through its admin API
// (docs/api.md#administration, docs/admin.md), with the stored login, which must be an admin's
// (anyone else gets "not found", exit 3). Users are named by username or id.
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "api_client.hpp"
#include "commands.hpp"
#include "workspace_sync.hpp"

namespace codeyard::cli {
namespace {

struct AdminFlags {
  std::string target;  // a user, workspace or job
  std::string value;   // a role or a level
  std::string search;
  std::string user;
  std::string state;
  std::string actor;
  std::string action;
  std::string audit_target;
  int64_t from = -1;
  int64_t to = -1;
  int limit = 50;
  bool json = false;
  bool csv = false;
};

std::string Field(const boost::json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (f == nullptr || f->is_null()) return "-";
  if (f->is_string()) return std::string(f->as_string());
  return boost::json::serialize(*f);
}

void Print(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

// A username or an id: the id of the user whose username matches exactly, else the text.
std::string UserId(ApiClient& api, const std::string& name) {
  const boost::json::array users = ListAll(api, "/admin/users?search=" + EscapePath(name));
  for (const auto& u : users) {
    if (Field(u, "username") == name) return Field(u, "id");
  }
  return name;
}

void UsersList(const AdminFlags& f) {
  ApiClient api;
  std::string path = "/admin/users";
  if (!f.search.empty()) path += "?search=" + EscapePath(f.search);
  const boost::json::array users = ListAll(api, path);
  if (f.json) return Print(users);
  for (const auto& u : users) {
    std::printf("%s\t%s\t%s\tlevel %s\t%s\n", Field(u, "id").c_str(), Field(u, "username").c_str(),
                Field(u, "role").c_str(), Field(u, "reviewer_level").c_str(),
                Field(u, "disabled") == "true" ? "disabled" : "enabled");
  }
}

void UserAction(const AdminFlags& f, const std::string& verb) {
  ApiClient api;
  const std::string id = UserId(api, f.target);
  boost::json::value answer;
  if (verb == "set-role") {
    answer = api.Call("PATCH", "/admin/users/" + EscapePath(id), {{"role", f.value}});
  } else if (verb == "set-level") {
    int level = -1;
    try {
      level = std::stoi(f.value);
    } catch (const std::exception&) {
    }
    if (level < 0 || level > 4) throw CommandFailed(kExitBadInput, "level must be 0 to 4");
    answer = api.Call("PATCH", "/admin/users/" + EscapePath(id), {{"reviewer_level", level}});
  } else {
    answer = api.Call("POST", "/admin/users/" + EscapePath(id) + "/" + verb);
  }
  if (f.json) return Print(answer);
  if (verb == "logout") {
    std::printf("%s: %s logins ended\n", f.target.c_str(), Field(answer, "revoked").c_str());
  } else {
    std::printf("%s\t%s\tlevel %s\t%s\n", Field(answer, "username").c_str(),
                Field(answer, "role").c_str(), Field(answer, "reviewer_level").c_str(),
                Field(answer, "disabled") == "true" ? "disabled" : "enabled");
  }
}

void WorkspacesList(const AdminFlags& f) {
  ApiClient api;
  std::string query;
  if (!f.user.empty()) query += "&user=" + EscapePath(UserId(api, f.user));
  if (!f.state.empty()) query += "&state=" + EscapePath(f.state);
  if (!query.empty()) query[0] = '?';
  const boost::json::array items = ListAll(api, "/admin/workspaces" + query);
  if (f.json) return Print(items);
  for (const auto& w : items) {
    const auto& pod = w.as_object().at("pod");
    std::printf("%s\t%s\t%s\t%s\t%s\n", Field(w, "id").c_str(), Field(w, "owner_username").c_str(),
                Field(w, "name").c_str(), Field(w, "state").c_str(),
                pod.is_null() ? "-" : Field(pod, "replica").c_str());
  }
}

void JobsStats(const AdminFlags& f) {
  ApiClient api;
  const boost::json::value s = api.Call("GET", "/admin/jobs/stats");
  if (f.json) return Print(s);
  std::printf("depth %s | running %s | stuck %s | %s jobs/min | wait p95 %s ms\n",
              Field(s, "depth").c_str(), Field(s, "running").c_str(), Field(s, "stuck").c_str(),
              Field(s, "throughput_per_minute").c_str(), Field(s, "wait_p95_ms").c_str());
}

void JobsList(const AdminFlags& f) {
  ApiClient api;
  const boost::json::array items =
      ListAll(api, "/admin/jobs?state=" + EscapePath(f.state.empty() ? "queued" : f.state));
  if (f.json) return Print(items);
  for (const auto& j : items) {
    std::printf("%s\t%s\t%s\t%s\tattempt %s\t%s\n", Field(j, "id").c_str(),
                Field(j, "owner_id").c_str(), Field(j, "kind").c_str(), Field(j, "state").c_str(),
                Field(j, "attempt").c_str(), Field(j, "worker").c_str());
  }
}

void JobAction(const AdminFlags& f, const std::string& verb) {
  ApiClient api;
  const boost::json::value j = api.Call("POST", "/admin/jobs/" + EscapePath(f.target) + "/" + verb);
  if (f.json) return Print(j);
  std::printf("%s\t%s\t%s\n", Field(j, "id").c_str(), Field(j, "state").c_str(),
              Field(j, "verdict").c_str());
}

void Replicas(const AdminFlags& f) {
  ApiClient api;
  const boost::json::value r = api.Call("GET", "/admin/replicas");
  const boost::json::array& items = r.as_object().at("items").as_array();
  if (f.json) return Print(items);
  for (const auto& rep : items) {
    std::printf("%s\t%s\theartbeat %s\tpods %s\tjobs %s\n", Field(rep, "id").c_str(),
                Field(rep, "version").c_str(), Field(rep, "heartbeat_at").c_str(),
                Field(rep, "pods_held").c_str(), Field(rep, "jobs_held").c_str());
  }
}

void Audit(const AdminFlags& f) {
  ApiClient api;
  std::string query;
  if (!f.actor.empty()) query += "&actor=" + EscapePath(UserId(api, f.actor));
  if (!f.action.empty()) query += "&action=" + EscapePath(f.action);
  if (!f.audit_target.empty()) query += "&target=" + EscapePath(f.audit_target);
  if (f.from >= 0) query += "&from=" + std::to_string(f.from);
  if (f.to >= 0) query += "&to=" + std::to_string(f.to);
  if (f.json || f.csv) {
    const HttpResponse r = api.Raw(
        "GET", "/admin/audit/export?format=" + std::string(f.csv ? "csv" : "json") + query, "");
    if (r.status != 200) Raise(ErrorFromResponse(r));  // an error answer is not the export
    std::cout << r.body;
    if (f.json) std::cout << "\n";
    if (r.headers.contains("codeyard-export-truncated")) {
      std::fprintf(stderr, "codeyard: admin audit: export truncated; narrow the filter\n");
    }
    return;
  }
  const boost::json::value page =
      api.Call("GET", "/admin/audit?limit=" + std::to_string(f.limit) + query);
  for (const auto& e : page.as_object().at("items").as_array()) {
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", Field(e, "ts").c_str(), Field(e, "action").c_str(),
                Field(e, "actor_id").c_str(), Field(e, "target").c_str(),
                Field(e, "source").c_str(), Field(e, "request_id").c_str());
  }
}

}  // namespace

void AddAdminCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("admin", "administer a running server (an admin's login)");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  codeyard admin users list --search ada\n"
      "  codeyard admin users disable ada\n"
      "  codeyard admin users set-role ada admin\n"
      "  codeyard admin workspaces list --state running --json\n"
      "  codeyard admin workspaces stop $ws\n"
      "  codeyard admin jobs stats\n"
      "  codeyard admin jobs cancel $job\n"
      "  codeyard admin replicas\n"
      "  codeyard admin audit --action user.login_failed --csv > failures.csv");
  auto f = std::make_shared<AdminFlags>();

  auto* users = cmd->add_subcommand("users", "list, disable, enable users; role, level, logout");
  users->require_subcommand(1);
  auto* list = users->add_subcommand("list", "every user (--search: a part of the name)");
  list->add_option("--search", f->search, "a part of the username or display name");
  list->add_flag("--json", f->json, "print a JSON array of users");
  list->callback([f] { UsersList(*f); });
  for (const char* verb : {"disable", "enable", "logout"}) {
    const std::string name(verb);
    auto* sub = users->add_subcommand(
        name, name == "disable"  ? "disable a user: every login ends, terminals close"
              : name == "enable" ? "enable a disabled user"
                                 : "end every login of a user");
    sub->add_option("user", f->target, "username or id")->required();
    sub->add_flag("--json", f->json, "print the answer as JSON");
    sub->footer("Examples:\n  codeyard admin users " + name + " ada\n  codeyard admin users " +
                name + " ada --json");
    sub->callback([f, name] { UserAction(*f, name); });
  }
  auto* role = users->add_subcommand("set-role", "make a user an admin or a user");
  role->add_option("user", f->target, "username or id")->required();
  role->add_option("role", f->value, "user or admin")
      ->required()
      ->check(CLI::IsMember({"user", "admin"}));
  role->add_flag("--json", f->json, "print the user as JSON");
  role->footer(
      "Examples:\n  codeyard admin users set-role ada admin\n"
      "  codeyard admin users set-role ada user --json");
  role->callback([f] { UserAction(*f, "set-role"); });
  auto* level = users->add_subcommand("set-level", "set a user's reviewer level (0-4)");
  level->add_option("user", f->target, "username or id")->required();
  level->add_option("level", f->value, "0 to 4")->required();
  level->add_flag("--json", f->json, "print the user as JSON");
  level->footer(
      "Examples:\n  codeyard admin users set-level rob 2\n"
      "  codeyard admin users set-level rob 0 --json");
  level->callback([f] { UserAction(*f, "set-level"); });

  auto* ws = cmd->add_subcommand("workspaces", "every user's workspaces and their pods");
  ws->require_subcommand(1);
  auto* ws_list = ws->add_subcommand("list", "list workspaces (--user, --state)");
  ws_list->add_option("--user", f->user, "only this user's (username or id)");
  ws_list->add_option("--state", f->state, "stopped, starting, running or stopping")
      ->check(CLI::IsMember({"stopped", "starting", "running", "stopping"}));
  ws_list->add_flag("--json", f->json, "print a JSON array of workspaces");
  ws_list->callback([f] { WorkspacesList(*f); });
  auto* stop = ws->add_subcommand("stop", "stop a workspace (a final sync, then its pod ends)");
  stop->add_option("workspace", f->target, "workspace id")->required();
  stop->callback([f] {
    ApiClient api;
    api.Call("POST", "/admin/workspaces/" + EscapePath(f->target) + "/stop");
  });

  auto* jobs = cmd->add_subcommand("jobs", "the job queue: stats, list, retry, cancel");
  jobs->require_subcommand(1);
  auto* stats = jobs->add_subcommand("stats", "queue depth, running and stuck jobs, waits");
  stats->add_flag("--json", f->json, "print the stats as JSON");
  stats->callback([f] { JobsStats(*f); });
  auto* jobs_list = jobs->add_subcommand("list", "jobs in one state (default queued)");
  jobs_list->add_option("--state", f->state, "queued, running, stuck or done")
      ->check(CLI::IsMember({"queued", "running", "stuck", "done"}));
  jobs_list->add_flag("--json", f->json, "print a JSON array of jobs");
  jobs_list->footer(
      "Examples:\n  codeyard admin jobs list\n"
      "  codeyard admin jobs list --state stuck --json");
  jobs_list->callback([f] { JobsList(*f); });
  for (const char* verb : {"retry", "cancel"}) {
    const std::string name(verb);
    auto* sub = jobs->add_subcommand(
        name, name == "retry" ? "queue a done job again" : "finish a queued or running job now");
    sub->add_option("job", f->target, "job id")->required();
    sub->add_flag("--json", f->json, "print the job as JSON");
    sub->footer("Examples:\n  codeyard admin jobs " + name + " $job\n  codeyard admin jobs " +
                name + " $job --json");
    sub->callback([f, name] { JobAction(*f, name); });
  }

  auto* replicas = cmd->add_subcommand("replicas", "server replicas: version, heartbeat, leases");
  replicas->add_flag("--json", f->json, "print a JSON array of replicas");
  replicas->callback([f] { Replicas(*f); });

  auto* audit = cmd->add_subcommand("audit", "the audit log, newest first (filters combine)");
  audit->add_option("--actor", f->actor, "who acted (username or id)");
  audit->add_option("--action", f->action, "e.g. user.login_failed, user.disable, pod.create");
  audit->add_option("--target", f->audit_target, "what was acted on (an id)");
  audit->add_option("--from", f->from, "from this time on (ms since the epoch)");
  audit->add_option("--to", f->to, "before this time (ms since the epoch)");
  audit->add_option("--limit", f->limit, "records shown without --json/--csv (1-1000)")
      ->check(CLI::Range(1, 1000));
  auto* as_json = audit->add_flag("--json", f->json, "export every matching record as JSON");
  audit->add_flag("--csv", f->csv, "export every matching record as CSV")->excludes(as_json);
  audit->callback([f] { Audit(*f); });
}

}  // namespace codeyard::cli
