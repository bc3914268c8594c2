// Request bodies of every route family, through the server's own handlers: the real route
// table (kRouteGroups) over real services (OpenServices on SQLite in a scratch data directory,
// the fake executor), a signed-in admin's token, a workspace and an organization of theirs.
// Each input is [route][body]: the first byte picks one of the routes that take a body (every
// POST, PUT and PATCH route but the preview relay's streamed ones: workspaces, files, exec,
// jobs and runs, reviews, problems and submissions, orgs, settings, admin, auth), its "{id}"
// filled with the workspace's (the organization's under /orgs), other parameters with fixed
// names; the rest is the JSON body. The handler turns it into a typed request and calls the
// library, which must answer with a response, never crash; a 500 (an error the code did not
// expect) is a finding too.
// Stateful (what a body creates stays): a crash may need the inputs before it to reproduce.
#include <unistd.h>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
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

struct Target {
  std::string dir;
  std::unique_ptr<server::Services> services;
  Router router;
  std::string admin_id;
  std::string token;
  std::string workspace_id;
  std::string org_id;
  std::vector<std::pair<Method, std::string>> routes;  // with parameters filled in
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

std::string IdIn(const Response& response, const char* what) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(response.body, ec);
  if (ec || !value.is_object() || !value.get_object().contains("id")) {
    Broken(std::string("setup: no ") + what + ": " + std::to_string(response.status) + " " +
           response.body);
  }
  return std::string(value.get_object().at("id").as_string());
}

constexpr const char* kAdminPassword = "fuzz-password-1";

// A fresh access token for the admin, their password set back first (a body may change it).
void SignIn(Target& t) {
  Accounts& accounts = *t.services->accounts;
  (void)accounts.SetPasswordAsOperator(t.admin_id, kAdminPassword);
  auto session = accounts.Login("fuzzadmin", kAdminPassword);
  t.token = session ? session->access_token : "";
}

// Fills a pattern's parameters: "{id}" as the workspace's (the organization's under /orgs/).
std::string Fill(const Target& t, const std::string& pattern) {
  std::string out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    const std::size_t slash = pattern.find('/', start);
    const std::size_t end = slash == std::string::npos ? pattern.size() : slash;
    const std::string segment = pattern.substr(start, end - start);
    out += '/';
    if (segment == "{id}") {
      out += pattern.starts_with("/api/v1/orgs/") ? t.org_id : t.workspace_id;
    } else if (segment == "{user}") {
      out += t.admin_id;
    } else if (segment.size() > 2 && segment.front() == '{') {
      out += segment.find("...") != std::string::npos ? "src/main.py" : "1";
    } else {
      out += segment;
    }
    start = end + 1;
  }
  return out;
}

Target& TheTarget() {
  static Target* target = [] {
    auto* t = new Target;
    char dir[] = "/tmp/codeyard-request-fuzz-XXXXXX";
    if (mkdtemp(dir) == nullptr) Broken("setup: mkdtemp failed");
    t->dir = dir;
    std::atexit([] { std::system(("rm -rf '" + TheTarget().dir + "'").c_str()); });
    ConfigInputs inputs;
    inputs.flags = {{"data_dir", t->dir},
                    {"executor.uri", "fake:"},
                    {"log.level", "error"},
                    {"executor.pool_size", "0"}};
    auto config = LoadConfig(inputs);
    if (!config) Broken("setup: " + config.error().message());
    auto logger = std::make_shared<Logger>(LogLevel::kError, [](std::string_view) {});
    auto services = OpenServices(*config, std::string(48, 'k'), logger);
    if (!services) Broken("setup: " + services.error().message());
    t->services = std::move(*services);
    for (const AddRoutes add : kRouteGroups) add(t->router, *t->services);
    if (!ApplyRouteOptions(t->router)) Broken("setup: the route options do not apply");
    Accounts& accounts = *t->services->accounts;
    auto admin = accounts.Register(
        NewUser{.username = "fuzzadmin", .password = kAdminPassword, .role = Role::kAdmin});
    if (!admin) Broken("setup: " + admin.error().message());
    t->admin_id = admin->id;
    SignIn(*t);
    if (t->token.empty()) Broken("setup: the admin cannot sign in");
    t->workspace_id =
        IdIn(Send(*t, Method::kPost, "/api/v1/workspaces", R"({"name":"fuzz"})"), "workspace");
    t->org_id =
        IdIn(Send(*t, Method::kPost, "/api/v1/orgs", R"({"name":"Fuzz","slug":"fuzz"})"), "org");
    for (const auto& [method, pattern] : t->router.Routes()) {
      if (method != Method::kPost && method != Method::kPut && method != Method::kPatch) continue;
      const std::string path = Fill(*t, pattern);
      if (t->router.Options(method, path).streamed_body) continue;
      t->routes.emplace_back(method, path);
    }
    return t;
  }();
  return *target;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Target& t = TheTarget();
  if (size == 0) return 0;
  const auto& [method, path] = t.routes[data[0] % t.routes.size()];
  Response response =
      Send(t, method, path, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (response.status == 500) {
    Broken(std::string(MethodName(method)) + " " + path + " answered " +
           std::to_string(response.status) + ": " + response.body);
  }
  if (response.status == 401) {
    // A body changed the admin's password or logged them out: sign in again.
    SignIn(t);
  }
  return 0;
}
