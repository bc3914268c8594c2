#include "api_jobs_json.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

#include "api_json.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

Error Bad(std::string message) { return {Error::Code::kInvalidArgument, std::move(message)}; }

Result<std::vector<FileData>> ParseFiles(const boost::json::object& body) {
  const auto it = body.find("files");
  if (it == body.end() || it->value().is_null()) return Fail(Bad("field 'files' is required"));
  if (!it->value().is_object() || it->value().as_object().empty()) {
    return Fail(Bad("field 'files' must be a non-empty object of file name to content"));
  }
  std::vector<FileData> out;
  for (const auto& [name, content] : it->value().as_object()) {
    if (!content.is_string()) {
      return Fail(Bad("field 'files': the content of '" + ValidUtf8(name) + "' must be a string"));
    }
    FileData file;
    file.path = std::string(name);
    file.content = std::string(content.as_string());
    out.push_back(std::move(file));
  }
  return out;
}

Result<std::vector<std::string>> ParseArgs(const boost::json::object& body) {
  const auto it = body.find("args");
  if (it == body.end() || it->value().is_null()) return std::vector<std::string>{};
  const char* const shape = "field 'args' must be an array of strings";
  if (!it->value().is_array()) return Fail(Bad(shape));
  std::vector<std::string> out;
  for (const boost::json::value& arg : it->value().as_array()) {
    if (!arg.is_string()) return Fail(Bad(shape));
    out.emplace_back(arg.as_string());
  }
  return out;
}

// Any finite number: the library checks the range against the configured maxima.
Result<std::optional<double>> Number(const boost::json::object& body, std::string_view name) {
  return OptionalNumber(body, name, -1e300, 1e300);
}

boost::json::value OptionalInt(const std::optional<int>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value OptionalInt(const std::optional<int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace

Result<RunJob> ParseRunJob(const boost::json::object& body) {
  RunJob out;
  auto language = StringField(body, "language");
  if (!language) return Fail(language.error());
  out.language = std::move(*language);
  auto files = ParseFiles(body);
  if (!files) return Fail(files.error());
  out.files = std::move(*files);
  auto stdin_data = OptionalString(body, "stdin");
  if (!stdin_data) return Fail(stdin_data.error());
  if (*stdin_data) out.stdin_data = std::move(**stdin_data);
  auto args = ParseArgs(body);
  if (!args) return Fail(args.error());
  out.args = std::move(*args);
  for (auto [name, field] : {std::pair{"time_limit_s", &out.time_limit_s},
                             std::pair{"memory_limit_mb", &out.memory_limit_mb},
                             std::pair{"output_limit_kb", &out.output_limit_kb}}) {
    auto n = Number(body, name);
    if (!n) return Fail(n.error());
    *field = *n;
  }
  auto image = OptionalString(body, "image");
  if (!image) return Fail(image.error());
  if (*image) out.image = std::move(**image);
  return out;
}

boost::json::object RunJson(const RunResult& run) {
  const ExitStatus& s = run.status;
  return boost::json::object{
      {"verdict", VerdictName(run.verdict)},
      {"exit_code", OptionalInt(s.exit_code)},
      {"signal", OptionalInt(s.signal)},
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

boost::json::object JobJson(const Job& job) {
  boost::json::object out{
      {"id", job.id},
      {"kind", job.kind},
      {"state", JobStateName(job.state)},
      {"attempt", job.attempt},
      {"created_at", job.created_at},
      {"started_at", OptionalInt(job.started_at)},
      {"finished_at", OptionalInt(job.finished_at)},
      {"image", job.image},
  };
  if (!job.callback_url.empty()) {
    out["callback"] = boost::json::object{
        {"url", job.callback_url},
        {"state", job.callback_state.empty() ? boost::json::value(nullptr)
                                             : boost::json::value(job.callback_state)},
        {"attempts", job.callback_attempts}};
  }
  if (job.state != JobState::kDone) return out;
  if (job.run) {
    for (auto& [key, value] : RunJson(*job.run)) out[key] = value;
  } else {
    out["verdict"] = job.verdict;
  }
  return out;
}

void AddQuotaHeaders(Response& response, const JobQuota& quota) {
  if (quota.limit <= 0) return;
  response.headers.emplace_back("RateLimit-Limit", std::to_string(quota.limit));
  response.headers.emplace_back("RateLimit-Remaining",
                                std::to_string(std::max<int64_t>(0, quota.remaining)));
  response.headers.emplace_back("RateLimit-Reset", std::to_string(quota.reset_s));
}

Response SubmitRefused(const Error& error, const JobsOptions& options,
                       std::string_view request_id) {
  Response out = ErrorResponse(error, request_id);
  const int64_t limit = error.limit() == "limits.jobs_per_minute" ? options.jobs_per_minute
                        : error.limit() == "limits.jobs_per_day"  ? options.jobs_per_day
                                                                  : 0;
  if (error.code() == Error::Code::kResourceExhausted && limit > 0) {
    AddQuotaHeaders(out, JobQuota{error.limit(), limit, 0, error.retry_after_s()});
  }
  return out;
}

Result<std::chrono::milliseconds> WaitOf(const Request& r) {
  constexpr double kMaxWaitS = 30;
  const auto wait = r.Query("wait");
  if (!wait) return std::chrono::milliseconds(0);
  double seconds = -1;
  const auto [end, ec] = std::from_chars(wait->data(), wait->data() + wait->size(), seconds);
  if (ec != std::errc() || end != wait->data() + wait->size() || !std::isfinite(seconds) ||
      seconds < 0 || seconds > kMaxWaitS) {
    return Fail(Error::Code::kInvalidArgument, "wait must be a number of seconds from 0 to 30");
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

}  // namespace codeyard::server
