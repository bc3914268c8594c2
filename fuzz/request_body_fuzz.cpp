// Request bodies of every route family, through the server's own handlers: the real route
// table (kRouteGroups, ApplyRouteOptions) over real services (OpenServices on an in-memory
// SQLite database, the fake executor), a signed-in admin's token, and a workspace, an
// organization, a second user, a problem and a review to name in paths. Each input is
// [route][body]: the first byte picks one of the routes that take a body (every POST, PUT and
// PATCH of the table, sorted by pattern as OpenAPI writes it, then method: workspaces, files,
// exec, run and jobs, reviews, problems and submissions, orgs, settings, admin, auth), its
// parameters filled with those ids; the rest is the body as the client sent it. The handler
// parses it into a typed request and calls the library, which must answer, never crash; a 500
// (an error the code did not expect) is a finding too. The preview relay's streamed routes
// take no input here (their bodies are passed on unread; the relay has its own target).
// Stateful (what a body creates stays): a crash may need the inputs before it to reproduce.
// Every kInputsPerEpoch inputs the services are opened afresh, so the database stays small.
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "api.hpp"
#include "codeyard/accounts.hpp"
#include "codeyard/config.hpp"
#include "codeyard/log.hpp"
#include "fuzz_util.hpp"
#include "route_options.hpp"
#include "router.hpp"
#include "services.hpp"

namespace {

using namespace codeyard;
using namespace codeyard::server;

[[noreturn]] void Broken(const std::string& what) { fuzz::Broken("request_body_fuzz", what); }

constexpr const char* kAdminPassword = "fuzz-password-1";
constexpr std::size_t kInputsPerEpoch = 20000;

struct BodyRoute {
  Method method;
  std::string pattern;  // as OpenAPI writes it: "{path}" for "{path...}"
  std::string path;     // parameters filled in
  bool streamed = false;
};

struct Target {
  std::string dir;
  std::unique_ptr<server::Services> services;
  Router router;
  std::string admin_id;
  std::string token;
  std::string workspace_id;
  std::string org_id;
  std::string user_id;  // another user, for the admin and organization routes
  std::string problem_id;
  std::string review_id;
  std::vector<BodyRoute> routes;

  Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;
  ~Target() {
    services.reset();  // the services stop their workers before their data goes
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

Response Send(Target& t, Method method, const std::string& path, std::string body) {
  Request request;
  request.method = method;
  request.path = path;
  request.body = std::move(body);
  request.headers = {{"authorization", "Bearer " + t.token}, {"content-type", "application/json"}};
  request.request_id = "fuzz";
  request.client_address = "127.0.0.1";
  return t.router.Handle(std::move(request));
}

// The "id" of a setup call's answer; `fallback` when it made none (the routes then get 404s).
std::string IdIn(const Response& response, const char* fallback) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(response.body, ec);
  if (ec || !value.is_object() || !value.get_object().contains("id") ||
      !value.get_object().at("id").is_string()) {
    return fallback;
  }
  return std::string(value.get_object().at("id").as_string());
}

// A fresh access token for the admin, their password set back first (a body may change it).
void SignIn(Target& t) {
  Accounts& accounts = *t.services->accounts;
  (void)accounts.SetPasswordAsOperator(t.admin_id, kAdminPassword);
  auto session = accounts.Login("fuzzadmin", kAdminPassword);
  t.token = session ? session->access_token : "";
}

// "/api/v1/x/{id}/y/{path...}" -> "/api/v1/x/{id}/y/{path}", as openapi.json writes it.
std::string AsOpenApi(std::string_view pattern) {
  std::string out(pattern);
  for (const std::string_view tail : {"...}", "**}"}) {
    for (auto at = out.find(tail); at != std::string::npos; at = out.find(tail)) {
      out.replace(at, tail.size(), "}");
    }
  }
  return out;
}

// The pattern with each parameter replaced by the id of the setup's object it names.
std::string Fill(const Target& t, std::string_view pattern) {
  std::string out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    const std::size_t slash = pattern.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? pattern.size() : slash;
    const std::string_view segment = pattern.substr(start, end - start);
    out += '/';
    if (segment == "{id}") {
      if (pattern.starts_with("/api/v1/orgs/")) {
        out += t.org_id;
      } else if (pattern.starts_with("/api/v1/admin/users/")) {
        out += t.user_id;
      } else if (pattern.starts_with("/api/v1/problems/")) {
        out += t.problem_id;
      } else if (pattern.starts_with("/api/v1/reviews/")) {
        out += t.review_id;
      } else if (pattern.starts_with("/api/v1/admin/jobs/")) {
        out += "job_none";
      } else {
        out += t.workspace_id;
      }
    } else if (segment == "{user}") {
      out += t.user_id;
    } else if (segment.size() > 2 && segment.front() == '{') {
      out += segment.find("...") != std::string_view::npos ? "src/main.py" : "1";
    } else {
      out += segment;
    }
    start = end + 1;
  }
  return out;
}

std::unique_ptr<Target> Open() {
  auto t = std::make_unique<Target>();
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/codeyard-request-fuzz-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) Broken("setup: mkdtemp failed");
  t->dir = dir;
  ConfigInputs inputs;
  // Limits per minute and per address raised, so the bodies reach their parsers and rules
  // rather than a 429 after the first few inputs.
  inputs.flags = {{"data_dir", t->dir},
                  {"storage.uri", "sqlite::memory:"},
                  {"executor.uri", "fake:"},
                  {"executor.pool_size", "0"},
                  {"log.level", "error"},
                  {"exec.per_minute", "1000000"},
                  {"workspace.creates_per_minute", "1000000"},
                  {"limits.jobs_per_minute", "1000000"},
                  {"limits.jobs_per_day", "1000000"},
                  {"auth.registrations_per_address", "1000000"},
                  {"auth.login_failures_per_address", "1000000"},
                  {"auth.login_failures_per_account", "1000000"},
                  // argon2id at its minimum: at the default cost the bodies that sign in,
                  // register or change a password spent most of the target's time hashing.
                  {"auth.password_ops", "1"},
                  {"auth.password_memory_kib", "8"}};
  auto config = LoadConfig(inputs);
  if (!config) Broken("setup: " + config.error().message());
  auto logger = std::make_shared<Logger>(LogLevel::kError, [](std::string_view) {});
  auto services = OpenServices(*config, std::string(48, 'k'), logger);
  if (!services) Broken("setup: " + services.error().message());
  t->services = std::move(*services);
  for (const AddRoutes add : kRouteGroups) add(t->router, *t->services);
  if (!ApplyRouteOptions(t->router)) Broken("setup: the route options do not apply");
  Accounts& accounts = *t->services->accounts;
  auto admin = accounts.RegisterAsOperator(
      NewUser{.username = "fuzzadmin", .password = kAdminPassword, .role = Role::kAdmin});
  if (!admin) Broken("setup: " + admin.error().message());
  t->admin_id = admin->id;
  auto other = accounts.RegisterAsOperator(
      NewUser{.username = "fuzzuser", .password = kAdminPassword, .role = Role::kUser});
  if (!other) Broken("setup: " + other.error().message());
  t->user_id = other->id;
  SignIn(*t);
  if (t->token.empty()) Broken("setup: the admin cannot sign in");
  t->workspace_id =
      IdIn(Send(*t, Method::kPost, "/api/v1/workspaces", R"({"name":"fuzz"})"), "ws_none");
  (void)Send(*t, Method::kPut, "/api/v1/workspaces/" + t->workspace_id + "/files/src/main.py",
             "print(input())\n");
  t->org_id =
      IdIn(Send(*t, Method::kPost, "/api/v1/orgs", R"({"name":"Fuzz","slug":"fuzz"})"), "org_none");
  t->problem_id = IdIn(Send(*t, Method::kPost, "/api/v1/problems",
                            R"({"id":"twice","title":"Twice","tests":[{"name":"sample",)"
                            R"("input":"1\n","expected_output":"2\n","public":true}]})"),
                       "problem_none");
  t->review_id = IdIn(Send(*t, Method::kPost, "/api/v1/reviews",
                           R"({"workspace_id":")" + t->workspace_id + R"(","title":"Fuzz"})"),
                      "review_none");
  for (const auto& [method, pattern] : t->router.Routes()) {
    if (method != Method::kPost && method != Method::kPut && method != Method::kPatch) continue;
    const std::string path = Fill(*t, pattern);
    t->routes.push_back(
        {method, AsOpenApi(pattern), path, t->router.Options(method, path).streamed_body});
  }
  // An order that does not depend on the order groups register their routes in, so that
  // fuzz/corpus/make_seeds.py (which reads openapi.json) gives each seed its route's byte.
  std::sort(t->routes.begin(), t->routes.end(), [](const BodyRoute& a, const BodyRoute& b) {
    return std::tuple(a.pattern, MethodName(a.method)) <
           std::tuple(b.pattern, MethodName(b.method));
  });
  return t;
}

std::unique_ptr<Target>& TheTarget() {
  static std::unique_ptr<Target> target = Open();
  return target;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::size_t inputs = 0;
  std::unique_ptr<Target>& target = TheTarget();
  if (++inputs % kInputsPerEpoch == 0) {
    target.reset();
    target = Open();
  }
  Target& t = *target;
  if (size == 0) return 0;
  const BodyRoute& route = t.routes[data[0] % t.routes.size()];
  if (route.streamed) return 0;
  Response response = Send(t, route.method, route.path,
                           std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (response.status == 500) {
    Broken(std::string(MethodName(route.method)) + " " + route.path + " answered " +
           std::to_string(response.status) + ": " + response.body);
  }
  if (response.status == 401) SignIn(t);  // a body changed the admin's password or signed out
  return 0;
}
