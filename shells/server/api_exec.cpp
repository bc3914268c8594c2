// Running a command in a workspace: the library opens the pod, syncs storage in, runs the
// command and syncs both ways, so files the command writes are stored when this returns.
// The library classifies the outcome with the rules of one-shot runs (WorkspaceExec::verdict).
// Memory is bounded by the workspace pod's limit (workspace.* config): memory_limit_mb is checked
// but cannot loosen or tighten it, since one pod serves every command of the workspace. Output is
// not necessarily UTF-8; bytes that are not become U+FFFD so the response stays valid JSON (raw
// bytes: write a file).
#include <chrono>

#include "api.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "codeyard/run.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr uint64_t kOutputCap = uint64_t{1} << 20;
// The wall limit (twice this) must end before the server's 60 s handler timeout closes the
// connection; longer work belongs in the terminal.
constexpr double kMaxTimeLimitS = 25;

struct ExecRequest {
  ExecSpec spec;
  RunLimits limits;
};

Result<ExecRequest> ParseExec(const Request& r) {
  auto body = JsonBody(r);
  if (!body) return Fail(body.error());
  ExecRequest out;
  const auto argv = body->find("argv");
  if (argv == body->end() || argv->value().is_null()) {
    return Fail(Error::Code::kInvalidArgument, "field 'argv' is required");
  }
  if (!argv->value().is_array() || argv->value().as_array().empty()) {
    return Fail(Error::Code::kInvalidArgument, "field 'argv' must be a non-empty array of strings");
  }
  for (const boost::json::value& arg : argv->value().as_array()) {
    if (!arg.is_string()) {
      return Fail(Error::Code::kInvalidArgument,
                  "field 'argv' must be a non-empty array of strings");
    }
    out.spec.argv.emplace_back(arg.as_string());
  }
  auto stdin_data = OptionalString(*body, "stdin");
  if (!stdin_data) return Fail(stdin_data.error());
  if (*stdin_data) out.spec.stdin_data = std::move(**stdin_data);
  auto cwd = OptionalString(*body, "cwd");
  if (!cwd) return Fail(cwd.error());
  if (*cwd && !(*cwd)->empty() && **cwd != ".") {
    auto normal = NormalizePath(**cwd);
    if (!normal) return Fail(normal.error().WithContext("field 'cwd'"));
    out.spec.cwd = "/workspace/" + *normal;
  }
  auto time_limit = OptionalNumber(*body, "time_limit_s", 0.001, kMaxTimeLimitS);
  if (!time_limit) return Fail(time_limit.error());
  if (*time_limit) out.limits = WithTimeLimit(out.limits, **time_limit);
  auto memory = OptionalNumber(*body, "memory_limit_mb", 1, 1 << 20);
  if (!memory) return Fail(memory.error());
  if (*memory) out.limits.memory_bytes = static_cast<uint64_t>(**memory) << 20;  // see top
  out.limits.output_bytes = kOutputCap;
  ApplyRunLimits(out.limits, out.spec);
  return out;
}

boost::json::value Optional(const std::optional<int>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace

void AddExecRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/exec",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto req = ParseExec(r);
                      if (!req) return Fail(req.error());
                      auto run =
                          services.workspaces->Exec(user, r.Param("id").value_or(""), req->spec);
                      if (!run) return Fail(run.error());
                      const ExitStatus& s = run->status;
                      return JsonResponse(200, boost::json::object{
                                                   {"verdict", VerdictName(run->verdict)},
                                                   {"exit_code", Optional(s.exit_code)},
                                                   {"signal", Optional(s.signal)},
                                                   {"stdout", ValidUtf8(run->stdout_data)},
                                                   {"stderr", ValidUtf8(run->stderr_data)},
                                                   {"cpu_ms", s.cpu_ms},
                                                   {"wall_ms", s.wall_ms},
                                                   {"memory_kb", s.memory_kb},
                                                   {"sync", SyncReportJson(run->sync)},
                                               });
                    }));
}

}  // namespace codeyard::server
