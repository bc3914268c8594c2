// `codeyard review list|show|submit` and `codeyard jobs stats`: code review and the queue's
// state on the server (docs/api.md#reviews, #jobs).
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

struct ReviewFlags {
  std::string id;
  std::string role = "author";
  std::string status;
  std::string workspace;
  std::string title;
  std::string description;
  std::string priority;
  int level = -1;
  bool json = false;
};

std::string Text(const boost::json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (f == nullptr || f->is_null()) return "-";
  if (f->is_string()) return std::string(f->as_string());
  if (f->is_object() && f->as_object().contains("username")) return Text(*f, "username");
  return boost::json::serialize(*f);
}

void List(const ReviewFlags& flags) {
  ApiClient api;
  std::string path = "/reviews?role=" + EscapePath(flags.role);
  if (!flags.status.empty()) path += "&status=" + EscapePath(flags.status);
  const boost::json::array items = ListAll(api, path);
  if (flags.json) {
    std::cout << boost::json::serialize(items) << "\n";
    return;
  }
  for (const auto& r : items) {
    std::printf("%s\t%s\t%s\t%s\t%s\n", Text(r, "id").c_str(), Text(r, "status").c_str(),
                Text(r, "priority").c_str(), Text(r, "author").c_str(), Text(r, "title").c_str());
  }
}

void Show(const ReviewFlags& flags) {
  ApiClient api;
  const boost::json::value r = api.Call("GET", "/reviews/" + EscapePath(flags.id));
  if (flags.json) {
    std::cout << boost::json::serialize(r) << "\n";
    return;
  }
  std::printf(
      "%s: %s\nstatus: %s | priority %s | level %s | revision %s\nauthor: %s | reviewer: "
      "%s\n",
      Text(r, "id").c_str(), Text(r, "title").c_str(), Text(r, "status").c_str(),
      Text(r, "priority").c_str(), Text(r, "required_level").c_str(), Text(r, "revision").c_str(),
      Text(r, "author").c_str(), Text(r, "reviewer").c_str());
  const std::string description = Text(r, "description");
  if (description != "-" && !description.empty()) std::printf("\n%s\n", description.c_str());
}

void Submit(const ReviewFlags& flags) {
  ApiClient api;
  boost::json::object body{{"workspace_id", flags.workspace}, {"title", flags.title}};
  if (!flags.description.empty()) body["description"] = flags.description;
  if (!flags.priority.empty()) body["priority"] = flags.priority;
  if (flags.level >= 0) body["required_level"] = flags.level;
  const boost::json::value r = api.Call("POST", "/reviews", body);
  if (flags.json) {
    std::cout << boost::json::serialize(r) << "\n";
  } else {
    std::printf("%s\n", Text(r, "id").c_str());
  }
}

void Stats(bool json) {
  ApiClient api;
  const boost::json::value s = api.Call("GET", "/queue/stats");
  if (json) {
    std::cout << boost::json::serialize(s) << "\n";
    return;
  }
  std::printf("depth %s | running %s | %s jobs/min | wait p50 %s ms, p95 %s ms (last %s s)\n",
              Text(s, "depth").c_str(), Text(s, "running").c_str(),
              Text(s, "throughput_per_minute").c_str(), Text(s, "wait_p50_ms").c_str(),
              Text(s, "wait_p95_ms").c_str(), Text(s, "window_s").c_str());
}

}  // namespace

void AddReviewCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("review", "code reviews on the server");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  codeyard review submit $ws --title 'Loops exercise' --priority high\n"
      "  codeyard review list --role queue --json\n"
      "  codeyard review show $review");
  auto flags = std::make_shared<ReviewFlags>();

  auto* list = cmd->add_subcommand("list", "list reviews (yours by default)");
  list->footer(
      "Examples:\n"
      "  codeyard review list\n"
      "  codeyard review list --role queue --status submitted --json");
  list->add_option("--role", flags->role, "author (default), queue or assigned")
      ->check(CLI::IsMember({"author", "queue", "assigned"}));
  list->add_option("--status", flags->status, "only reviews in this status");
  list->add_flag("--json", flags->json, "print a JSON array of reviews");
  list->callback([flags] { List(*flags); });

  auto* show = cmd->add_subcommand("show", "show one review");
  show->footer(
      "Examples:\n"
      "  codeyard review show $review\n"
      "  codeyard review show $review --json");
  show->add_option("id", flags->id, "review id")->required();
  show->add_flag("--json", flags->json, "print the review as JSON");
  show->callback([flags] { Show(*flags); });

  auto* submit = cmd->add_subcommand("submit", "submit a workspace for review; prints the id");
  submit->footer(
      "Examples:\n"
      "  codeyard review submit $ws --title 'Loops exercise' --priority high --level 1");
  submit->add_option("workspace", flags->workspace, "workspace id")->required();
  submit->add_option("--title", flags->title, "1-200 characters")->required();
  submit->add_option("--description", flags->description, "what to look at");
  submit->add_option("--priority", flags->priority, "low, normal (default), high or urgent")
      ->check(CLI::IsMember({"low", "normal", "high", "urgent"}));
  submit->add_option("--level", flags->level, "reviewer level needed, 0-4")
      ->check(CLI::Range(0, 4));
  submit->add_flag("--json", flags->json, "print the review as JSON");
  submit->callback([flags] { Submit(*flags); });
}

void AddJobsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("jobs", "the server's job queue");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  cmd->footer(
      "Examples:\n"
      "  codeyard jobs stats\n"
      "  codeyard jobs stats --json");
  auto* stats = cmd->add_subcommand("stats", "queue depth, running jobs, throughput, waits");
  stats->footer("Examples:\n  codeyard jobs stats --json");
  stats->add_flag("--json", *json, "print the stats as JSON");
  stats->callback([json] { Stats(*json); });
}

}  // namespace codeyard::cli
