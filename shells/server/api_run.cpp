// Stateless one-shot runs, what Judge0 calls a submission and Piston an execute: source files
// in, a verdict out, nothing kept. The request mirrors `codeyard run`: the files (the first is
// the entry point), a language, stdin, program arguments and limits; the Runner compiles C and
// C++ in a pod of its own and runs the program in a pod from the warm pool when the limits are
// the defaults (otherwise in a fresh pod with the asked limits). The Runner caps runs at once
// per user (429) and per server (503), refusing at once rather than queueing. Caps keep every
// request small (see docs/api.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "api.hpp"
#include "api_json.hpp"
#include "codeyard/files.hpp"
#include "codeyard/run.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

constexpr std::size_t kMaxFiles = 64;
constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;   // one file
constexpr std::size_t kMaxTotalBytes = std::size_t{4} << 20;  // all files together
constexpr std::size_t kMaxStdinBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxArgs = 64;
constexpr std::size_t kMaxArgBytes = 4096;
constexpr double kMinTimeLimitS = 0.01;
constexpr double kMaxTimeLimitS = 10;  // wall time is twice this: well inside the handler timeout
constexpr double kMinMemoryMb = 8;
constexpr double kMaxMemoryMb = 1024;
constexpr double kMinOutputKb = 1;
constexpr double kMaxOutputKb = 4096;

Error Bad(std::string message) { return {Error::Code::kInvalidArgument, std::move(message)}; }

Result<std::vector<FileData>> ParseFiles(const boost::json::object& body) {
  const auto it = body.find("files");
  if (it == body.end() || it->value().is_null())
    return std::unexpected(Bad("field 'files' is required"));
  if (!it->value().is_object() || it->value().as_object().empty()) {
    return std::unexpected(Bad("field 'files' must be a non-empty object of file name to content"));
  }
  const boost::json::object& files = it->value().as_object();
  if (files.size() > kMaxFiles) {
    return std::unexpected(Bad("field 'files' holds " + std::to_string(files.size()) +
                               " files; at most " + std::to_string(kMaxFiles) + " are allowed"));
  }
  std::vector<FileData> out;
  std::size_t total = 0;
  for (const auto& [name, content] : files) {
    auto path = NormalizePath(name);
    if (!path) return std::unexpected(path.error().WithContext("field 'files'"));
    if (!content.is_string()) {
      return std::unexpected(Bad("field 'files': the content of '" + *path + "' must be a string"));
    }
    const boost::json::string& text = content.as_string();
    if (text.size() > kMaxFileBytes) {
      return std::unexpected(Bad("field 'files': '" + *path + "' is larger than " +
                                 std::to_string(kMaxFileBytes) + " bytes"));
    }
    total += text.size();
    FileData file;
    file.path = std::move(*path);
    file.content = std::string(text);
    out.push_back(std::move(file));
  }
  if (total > kMaxTotalBytes) {
    return std::unexpected(Bad("field 'files': " + std::to_string(total) +
                               " bytes in all; at most " + std::to_string(kMaxTotalBytes)));
  }
  return out;
}

Result<std::vector<std::string>> ParseArgs(const boost::json::object& body) {
  const auto it = body.find("args");
  if (it == body.end() || it->value().is_null()) return std::vector<std::string>{};
  const char* const shape = "field 'args' must be an array of strings";
  if (!it->value().is_array()) return std::unexpected(Bad(shape));
  const boost::json::array& args = it->value().as_array();
  if (args.size() > kMaxArgs) {
    return std::unexpected(
        Bad("field 'args' holds more than " + std::to_string(kMaxArgs) + " arguments"));
  }
  std::vector<std::string> out;
  for (const boost::json::value& arg : args) {
    if (!arg.is_string()) return std::unexpected(Bad(shape));
    if (arg.as_string().size() > kMaxArgBytes) {
      return std::unexpected(
          Bad("field 'args': an argument is longer than " + std::to_string(kMaxArgBytes)));
    }
    out.emplace_back(arg.as_string());
  }
  return out;
}

// Limits by the library's one time rule (WithTimeLimit), as `codeyard run` sets them. With no
// limit given they equal RunnerOptions::default_limits, which is what the warm pool serves.
Result<RunLimits> ParseLimits(const boost::json::object& body) {
  RunLimits limits;
  auto time_limit = OptionalNumber(body, "time_limit_s", kMinTimeLimitS, kMaxTimeLimitS);
  if (!time_limit) return std::unexpected(time_limit.error());
  if (const std::optional<double> seconds = *time_limit) limits = WithTimeLimit(limits, *seconds);
  auto memory = OptionalNumber(body, "memory_limit_mb", kMinMemoryMb, kMaxMemoryMb);
  if (!memory) return std::unexpected(memory.error());
  if (const std::optional<double> mb = *memory) {
    limits.memory_bytes = static_cast<uint64_t>(std::llround(*mb * 1024 * 1024));
  }
  auto output = OptionalNumber(body, "output_limit_kb", kMinOutputKb, kMaxOutputKb);
  if (!output) return std::unexpected(output.error());
  if (const std::optional<double> kb = *output) {
    limits.output_bytes = static_cast<uint64_t>(std::llround(*kb * 1024));
  }
  return limits;
}

Result<RunRequest> ParseRun(const Request& r) {
  auto body = JsonBody(r);
  if (!body) return std::unexpected(body.error());
  RunRequest out;
  auto language = StringField(*body, "language");
  if (!language) return std::unexpected(language.error());
  auto parsed = ParseLanguage(*language);
  if (!parsed) return std::unexpected(parsed.error().WithContext("field 'language'"));
  out.language = *parsed;
  auto files = ParseFiles(*body);
  if (!files) return std::unexpected(files.error());
  out.files = std::move(*files);
  auto stdin_data = OptionalString(*body, "stdin");
  if (!stdin_data) return std::unexpected(stdin_data.error());
  if (std::optional<std::string>& text = *stdin_data; text) {
    if (text->size() > kMaxStdinBytes) {
      return std::unexpected(
          Bad("field 'stdin' is larger than " + std::to_string(kMaxStdinBytes) + " bytes"));
    }
    out.stdin_data = std::move(*text);
  }
  auto args = ParseArgs(*body);
  if (!args) return std::unexpected(args.error());
  out.args = std::move(*args);
  auto limits = ParseLimits(*body);
  if (!limits) return std::unexpected(limits.error());
  out.limits = *limits;
  return out;
}

boost::json::value Optional(const std::optional<int>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::object RunJson(const RunResult& run) {
  const ExitStatus& s = run.status;
  return boost::json::object{
      {"verdict", VerdictName(run.verdict)},
      {"exit_code", Optional(s.exit_code)},
      {"signal", Optional(s.signal)},
      {"stdout", ValidUtf8(run.stdout_data)},
      {"stderr", ValidUtf8(run.stderr_data)},
      {"cpu_ms", s.cpu_ms},
      {"wall_ms", s.wall_ms},
      {"memory_kb", s.memory_kb},
      {"output_truncated", s.output_truncated},
      {"compile_output", ValidUtf8(run.compile_output)},
      {"compile_ms", run.compile_ms},
      {"message", ValidUtf8(run.message)},
  };
}

}  // namespace

void AddRunRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/run",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto request = ParseRun(r);
                      if (!request) return Fail(request.error());
                      request->user_id = user_id;
                      auto run = services.runner->Run(*request);
                      if (!run) return Fail(run.error());
                      return JsonResponse(200, RunJson(*run));
                    }));
}

}  // namespace codeyard::server
