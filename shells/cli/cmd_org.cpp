// `codeyard org ...`: organizations on a running server through `/api/v1/orgs`
// (docs/organizations.md, docs/api.md#organizations-orgs) with the stored login: list, create,
// show, rename, delete, members (list, add, remove, set-role), quota (show, set) and usage
// (JSON or CSV over a date range). An organization is named by id or slug, a member by
// username or id; the server decides who may do what (a non-member gets "not found", exit 3;
// a member who may not, exit 4). `quota set` changes the named limits and keeps the others:
// it reads the quotas and writes them back with If-Match, so a change made meanwhile is
// refused (exit 5), never overwritten. Single-threaded, like every command.
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

struct OrgFlags {
  std::string org;
  std::string user;
  std::string role = "member";
  std::string name;
  std::string slug;
  std::string from;
  std::string to;
  std::vector<std::string> quotas;  // scope.quota=value
  bool json = false;
  bool csv = false;
};

// Every quota a set has, in the order the server lists them, with what counts against it in
// an org's "usage" (none for CPU-seconds: see `org usage`).
constexpr std::pair<const char*, const char*> kQuotas[] = {
    {"max_running_workspaces", "running_workspaces"},
    {"max_stored_bytes", "stored_bytes"},
    {"max_jobs_per_day", "jobs_today"},
    {"max_cpu_seconds_per_day", nullptr},
    {"max_open_claims", "open_claims"},
};

std::string Text(const boost::json::value& v, const char* key, const char* none = "-") {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (f == nullptr || f->is_null()) return none;
  if (f->is_string()) return std::string(f->as_string());
  return boost::json::serialize(*f);
}

void PrintJson(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

std::string OrgPath(const OrgFlags& f) { return "/orgs/" + EscapePath(f.org); }

// A JSON call with extra headers (If-Match), raising on an error answer as ApiClient::Call does.
boost::json::value CallWith(ApiClient& api, std::string_view method, const std::string& path,
                            const boost::json::value& body, std::vector<std::string> headers) {
  headers.push_back("Content-Type: application/json");
  const HttpResponse r = api.Raw(method, path, boost::json::serialize(body), headers);
  if (r.status < 200 || r.status > 299) Raise(ErrorFromResponse(r));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  if (ec) Raise(Error(Error::Code::kInternal, "the server's answer is not JSON"));
  return v;
}

void PrintOrgLine(const boost::json::value& o) {
  std::printf("%s\t%s\t%s\t%s%s\n", Text(o, "id").c_str(), Text(o, "slug").c_str(),
              Text(o, "role").c_str(), Text(o, "name").c_str(),
              Text(o, "personal") == "true" ? "\t(personal)" : "");
}

void List(const OrgFlags& f) {
  ApiClient api;
  const boost::json::value answer = api.Call("GET", "/orgs");
  const boost::json::array& orgs = answer.at("orgs").as_array();
  if (f.json) return PrintJson(orgs);
  for (const auto& o : orgs) PrintOrgLine(o);
}

void Create(const OrgFlags& f) {
  ApiClient api;
  const boost::json::value o =
      api.Call("POST", "/orgs", {{"slug", f.slug}, {"name", f.name.empty() ? f.slug : f.name}});
  if (f.json) return PrintJson(o);
  std::printf("%s\n", Text(o, "id").c_str());
}

// The quotas against their usage, one line each: the org's limit and use, the member limit
// and the caller's use.
void PrintQuotas(const boost::json::value& o) {
  const auto& quotas = o.at("quotas");
  const auto& usage = o.at("usage");
  std::printf("%-24s %14s %14s %14s %14s\n", "quota", "org limit", "org usage", "member limit",
              "my usage");
  for (const auto& [quota, used] : kQuotas) {
    const std::string org_used = used ? Text(usage.at("org"), used) : "-";
    const std::string my_used = used ? Text(usage.at("me"), used) : "-";
    std::printf("%-24s %14s %14s %14s %14s\n", quota,
                Text(quotas.at("org"), quota, "unlimited").c_str(), org_used.c_str(),
                Text(quotas.at("member"), quota, "unlimited").c_str(), my_used.c_str());
  }
}

void Show(const OrgFlags& f) {
  ApiClient api;
  const boost::json::value o = api.Call("GET", OrgPath(f));
  if (f.json) return PrintJson(o);
  std::printf("%s (%s)\nid %s, my role %s%s, version %s\n", Text(o, "name").c_str(),
              Text(o, "slug").c_str(), Text(o, "id").c_str(), Text(o, "role").c_str(),
              Text(o, "personal") == "true" ? ", personal" : "", Text(o, "version").c_str());
  PrintQuotas(o);
}

void Rename(const OrgFlags& f) {
  if (f.name.empty() && f.slug.empty()) {
    throw CommandFailed(kExitBadInput, "org rename: give --name, --slug or both");
  }
  boost::json::object body;
  if (!f.name.empty()) body["name"] = f.name;
  if (!f.slug.empty()) body["slug"] = f.slug;
  ApiClient api;
  const boost::json::value o = api.Call("PATCH", OrgPath(f), body);
  if (f.json) return PrintJson(o);
  PrintOrgLine(o);
}

void Delete(const OrgFlags& f) {
  ApiClient api;
  (void)api.Call("DELETE", OrgPath(f));
  std::printf("deleted %s\n", f.org.c_str());
}

void PrintMember(const boost::json::value& m) {
  std::printf("%s\t%s\t%s\n", Text(m, "user_id").c_str(), Text(m, "username").c_str(),
              Text(m, "role").c_str());
}

void Members(const OrgFlags& f, const std::string& verb) {
  ApiClient api;
  const std::string path = OrgPath(f) + "/members";
  boost::json::value answer;
  if (verb == "list") {
    answer = api.Call("GET", path).at("members");
    if (f.json) return PrintJson(answer);
    for (const auto& m : answer.as_array()) PrintMember(m);
    return;
  }
  if (verb == "add") {
    answer = api.Call("POST", path, {{"user", f.user}, {"role", f.role}});
  } else if (verb == "set-role") {
    answer = api.Call("PATCH", path + "/" + EscapePath(f.user), {{"role", f.role}});
  } else {
    (void)api.Call("DELETE", path + "/" + EscapePath(f.user));
    std::printf("removed %s from %s\n", f.user.c_str(), f.org.c_str());
    return;
  }
  if (f.json) return PrintJson(answer);
  PrintMember(answer);
}

void QuotaShow(const OrgFlags& f) {
  ApiClient api;
  const boost::json::value o = api.Call("GET", OrgPath(f));
  if (f.json) return PrintJson(o.at("quotas"));
  PrintQuotas(o);
}

// `org.max_stored_bytes=1000000` or `member.max_jobs_per_day=unlimited` into `quotas`; the
// quota's name and the value's range are the server's to check.
void Assign(boost::json::object& quotas, const std::string& assignment) {
  const auto dot = assignment.find('.');
  const auto eq = assignment.find('=');
  const std::string scope = assignment.substr(0, dot);
  if (dot == std::string::npos || eq == std::string::npos || eq < dot ||
      (scope != "org" && scope != "member")) {
    throw CommandFailed(kExitBadInput, "org quota set: '" + assignment +
                                           "' is not org.QUOTA=N or member.QUOTA=N "
                                           "(N a whole number or 'unlimited')");
  }
  const std::string quota = assignment.substr(dot + 1, eq - dot - 1);
  const std::string value = assignment.substr(eq + 1);
  boost::json::object& set = quotas[scope].as_object();
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value == "unlimited") {
    set[quota] = nullptr;
  } else if (ec == std::errc() && end == value.data() + value.size()) {
    set[quota] = n;
  } else {
    set[quota] = value;  // the server refuses it, naming the quota
  }
}

void QuotaSet(const OrgFlags& f) {
  ApiClient api;
  const boost::json::value o = api.Call("GET", OrgPath(f));
  boost::json::object quotas = o.at("quotas").as_object();
  for (const std::string& a : f.quotas) Assign(quotas, a);
  const std::string version = Text(o, "version");
  const boost::json::value updated =
      CallWith(api, "PUT", OrgPath(f) + "/quotas", quotas, {"If-Match: \"" + version + "\""});
  if (f.json) return PrintJson(updated.at("quotas"));
  PrintQuotas(updated);
}

void Usage(const OrgFlags& f) {
  std::string query = "?format=" + std::string(f.csv ? "csv" : "json");
  if (!f.from.empty()) query += "&from=" + EscapePath(f.from);
  if (!f.to.empty()) query += "&to=" + EscapePath(f.to);
  ApiClient api;
  const HttpResponse r = api.Raw("GET", OrgPath(f) + "/usage" + query, "");
  if (r.status != 200) Raise(ErrorFromResponse(r));
  if (f.csv || f.json) {
    std::cout << r.body;
    if (f.json) std::cout << "\n";
    return;
  }
  // Text: the sums per member and in all, members by username.
  boost::system::error_code ec;
  const boost::json::value usage = boost::json::parse(r.body, ec);
  if (ec) Raise(Error(Error::Code::kInternal, "the server's answer is not JSON"));
  const boost::json::value members = api.Call("GET", OrgPath(f) + "/members").at("members");
  auto name = [&](const std::string& id) {
    for (const auto& m : members.as_array()) {
      if (Text(m, "user_id") == id) return Text(m, "username");
    }
    return id;  // a member no more
  };
  std::printf("%s to %s\n%-20s %12s %12s %8s %8s %16s\n", Text(usage, "from").c_str(),
              Text(usage, "to").c_str(), "member", "cpu s", "wall s", "jobs", "runs",
              "peak memory B");
  auto line = [](const std::string& who, const boost::json::value& u) {
    std::printf("%-20s %12s %12s %8s %8s %16s\n", who.c_str(), Text(u, "cpu_seconds").c_str(),
                Text(u, "wall_seconds").c_str(), Text(u, "jobs").c_str(), Text(u, "runs").c_str(),
                Text(u, "peak_memory_bytes").c_str());
  };
  for (const auto& m : usage.at("members").as_array()) line(name(Text(m, "user_id")), m);
  line("total", usage.at("totals"));
}

// One subcommand: its help with examples, the organization argument (unless `org` is false),
// --json (when `json` names what it prints), and what it runs.
struct Leaf {
  const char* name;
  const char* what;
  const char* examples;
  const char* json;  // nullptr: no --json
  void (*run)(const OrgFlags&);
  bool org = true;
};

CLI::App* Add(CLI::App* parent, const std::shared_ptr<OrgFlags>& f, const Leaf& leaf) {
  auto* sub = parent->add_subcommand(leaf.name, leaf.what);
  sub->footer(std::string("Examples:\n") + leaf.examples);
  if (leaf.org) sub->add_option("org", f->org, "organization id or slug")->required();
  if (leaf.json != nullptr) sub->add_flag("--json", f->json, leaf.json);
  if (leaf.run != nullptr) sub->callback([f, run = leaf.run] { run(*f); });
  return sub;
}

void MembersList(const OrgFlags& f) { Members(f, "list"); }
void MembersAdd(const OrgFlags& f) { Members(f, "add"); }
void MembersRemove(const OrgFlags& f) { Members(f, "remove"); }
void MembersSetRole(const OrgFlags& f) { Members(f, "set-role"); }

}  // namespace

void AddOrgCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("org", "organizations: members, quotas, usage");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  codeyard org create cs101 --name \"Intro to CS\"\n"
      "  codeyard org members add cs101 ada --role admin\n"
      "  codeyard org quota set cs101 org.max_running_workspaces=30\n"
      "  codeyard org usage cs101 --from 2026-03-01 --to 2026-03-31 --csv > march.csv\n"
      "  codeyard workspace move $ws cs101");
  auto f = std::make_shared<OrgFlags>();

  Add(cmd, f,
      {"list", "the organizations you belong to, your personal one first",
       "  codeyard org list\n  codeyard org list --json", "print a JSON array of organizations",
       List, false});
  auto* create = Add(cmd, f,
                     {"create", "create an organization (you its owner); prints its id",
                      "  codeyard org create cs101\n"
                      "  codeyard org create cs101 --name \"Intro to CS\" --json",
                      "print the organization as JSON", Create, false});
  create->add_option("slug", f->slug, "2-40 of a-z, 0-9 and -")->required();
  create->add_option("--name", f->name, "its name (default: the slug)");
  Add(cmd, f,
      {"show", "an organization: your role, its quotas against their usage",
       "  codeyard org show cs101\n  codeyard org show cs101 --json",
       "print the organization as JSON", Show});
  auto* rename = Add(cmd, f,
                     {"rename", "give an organization a new name or slug (owners)",
                      "  codeyard org rename cs101 --name \"CS 101 (spring)\"\n"
                      "  codeyard org rename cs101 --slug cs101-spring --json",
                      "print the organization as JSON", Rename});
  rename->add_option("--name", f->name, "the new name");
  rename->add_option("--slug", f->slug, "the new slug (the old one stops resolving)");
  Add(cmd, f,
      {"delete", "delete an empty organization (owners)", "  codeyard org delete cs101", nullptr,
       Delete});

  auto* members = Add(cmd, f,
                      {"members", "list, add, remove members; change a member's role",
                       "  codeyard org members list cs101\n"
                       "  codeyard org members add cs101 ada --role admin",
                       nullptr, nullptr, false});
  members->require_subcommand(1);
  Add(members, f,
      {"list", "the members and their roles, oldest first",
       "  codeyard org members list cs101\n  codeyard org members list cs101 --json",
       "print a JSON array of members", MembersList});
  const std::vector<std::string> roles = {"owner", "admin", "member"};
  auto* add = Add(members, f,
                  {"add", "add a user as a member (owners and admins)",
                   "  codeyard org members add cs101 ada\n"
                   "  codeyard org members add cs101 ada --role admin --json",
                   "print the member as JSON", MembersAdd});
  add->add_option("user", f->user, "username or id")->required();
  add->add_option("--role", f->role, "owner, admin or member (default member)")
      ->check(CLI::IsMember(roles));
  Add(members, f,
      {"remove", "remove a member (or leave, naming yourself)",
       "  codeyard org members remove cs101 ada", nullptr, MembersRemove})
      ->add_option("user", f->user, "username or id")
      ->required();
  auto* set_role = Add(members, f,
                       {"set-role", "change a member's role",
                        "  codeyard org members set-role cs101 ada owner\n"
                        "  codeyard org members set-role cs101 ada member --json",
                        "print the member as JSON", MembersSetRole});
  set_role->add_option("user", f->user, "username or id")->required();
  set_role->add_option("role", f->role, "owner, admin or member")
      ->required()
      ->check(CLI::IsMember(roles));

  auto* quota = Add(cmd, f,
                    {"quota", "an organization's quotas: show them, set some",
                     "  codeyard org quota show cs101\n"
                     "  codeyard org quota set cs101 org.max_jobs_per_day=500",
                     nullptr, nullptr, false});
  quota->require_subcommand(1);
  Add(quota, f,
      {"show", "each quota's limits and usage (null: unlimited)",
       "  codeyard org quota show cs101\n  codeyard org quota show cs101 --json",
       "print the quota sets as JSON", QuotaShow});
  Add(quota, f,
      {"set", "change some limits, keep the others (owners and admins)",
       "  codeyard org quota set cs101 org.max_running_workspaces=30\n"
       "  codeyard org quota set cs101 member.max_stored_bytes=100000000 "
       "member.max_open_claims=unlimited --json",
       "print the quota sets as JSON", QuotaSet})
      ->add_option("quotas", f->quotas,
                   "org.QUOTA=N or member.QUOTA=N (N a whole number or 'unlimited'); QUOTA one "
                   "of max_running_workspaces, max_stored_bytes, max_jobs_per_day, "
                   "max_cpu_seconds_per_day, max_open_claims")
      ->required();

  auto* usage = Add(cmd, f,
                    {"usage", "usage per member over days (owners and admins)",
                     "  codeyard org usage cs101\n"
                     "  codeyard org usage cs101 --from 2026-03-01 --to 2026-03-31 --csv",
                     nullptr, Usage});
  usage->add_option("--from", f->from, "first day, YYYY-MM-DD UTC (default: 29 days before --to)");
  usage->add_option("--to", f->to, "last day, YYYY-MM-DD UTC (default: today)");
  auto* as_json = usage->add_flag("--json", f->json, "the server's JSON: per day and member");
  usage->add_flag("--csv", f->csv, "one CSV line per day and member")->excludes(as_json);
}

}  // namespace codeyard::cli
