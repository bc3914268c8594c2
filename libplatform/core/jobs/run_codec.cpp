// Run jobs: the request's rules (ToRunRequest) and the payload and result encodings.
#include "core/jobs/run_codec.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "codeyard/exec_limits.hpp"
#include "codeyard/images.hpp"
#include "codeyard/jobs.hpp"
#include "core/jobs/jobs_impl.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

namespace json = boost::json;

Error Bad(std::string message) { return {Error::Code::kInvalidArgument, std::move(message)}; }

std::string Num(double v) {
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Result<void> InRange(std::string_view field, double v, double min, double max,
                     std::string_view key) {
  if (!std::isfinite(v) || v < min || v > max) {
    return Fail(Bad("field '" + std::string(field) + "' must be a number from " + Num(min) +
                    " to " + Num(max) + (key.empty() ? "" : " (" + std::string(key) + ")")));
  }
  return {};
}

Result<json::value> Parse(std::string_view data, std::string_view what) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  boost::system::error_code ec;
  json::value v = json::parse(data, ec, {}, options);
  if (ec || !v.is_object()) {
    return Fail(Error::Code::kDataLoss, "jobs: the stored " + std::string(what) + " is not JSON");
  }
  return v;
}

// Reads a field of a stored object, refusing a wrong shape as corrupt data.
template <class T>
Result<T> Field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) {
    return Fail(Error::Code::kDataLoss, "jobs: a stored field is missing: " + std::string(name));
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v->is_string())
      return Fail(Error::Code::kDataLoss, "jobs: bad field " + std::string(name));
    return std::string(v->get_string());
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v->is_number())
      return Fail(Error::Code::kDataLoss, "jobs: bad field " + std::string(name));
    return v->to_number<double>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v->is_bool()) return Fail(Error::Code::kDataLoss, "jobs: bad field " + std::string(name));
    return v->get_bool();
  } else {
    if (!v->is_int64() && !v->is_uint64()) {
      return Fail(Error::Code::kDataLoss, "jobs: bad field " + std::string(name));
    }
    return static_cast<T>(v->to_number<int64_t>());
  }
}

Result<std::optional<int>> OptionalInt(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<int>();
  if (!v->is_int64()) return Fail(Error::Code::kDataLoss, "jobs: bad field " + std::string(name));
  return std::optional<int>(static_cast<int>(v->get_int64()));
}

json::value OptionalJson(const std::optional<int>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

Result<RunRequest> Jobs::ToRunRequest(const RunJob& job) const {
  const JobsOptions& o = options();
  RunRequest out;
  if (job.language.empty()) return Fail(Bad("field 'language' is required"));
  auto language = ParseLanguage(job.language);
  if (!language) return Fail(language.error().WithContext("field 'language'"));
  out.language = *language;
  if (job.files.empty()) return Fail(Bad("field 'files' must hold at least one file"));
  if (job.files.size() > kMaxJobFiles) {
    return Fail(Bad("field 'files' holds " + std::to_string(job.files.size()) + " files; at most " +
                    std::to_string(kMaxJobFiles) + " are allowed"));
  }
  std::size_t total = 0;
  for (const FileData& f : job.files) {
    auto path = NormalizePath(f.path);
    if (!path) return Fail(path.error().WithContext("field 'files'"));
    if (f.content.size() > kMaxJobFileBytes) {
      return Fail(Bad("field 'files': '" + *path + "' is larger than " +
                      std::to_string(kMaxJobFileBytes) + " bytes"));
    }
    total += f.content.size();
    FileData file = f;
    file.path = std::move(*path);
    out.files.push_back(std::move(file));
  }
  if (*language == Language::kC || *language == Language::kCpp) {
    const bool any_source = std::any_of(out.files.begin(), out.files.end(), [&](const FileData& f) {
      const auto of = LanguageFromFileName(f.path);
      return of && *of == *language;
    });
    if (!any_source) {
      return Fail(Bad("field 'files': no source files for the compiler (" +
                      std::string(LanguageName(*language)) + ")"));
    }
  }
  if (total > kMaxJobTotalBytes) {
    return Fail(Bad("field 'files': " + std::to_string(total) + " bytes in all; at most " +
                    std::to_string(kMaxJobTotalBytes)));
  }
  if (job.stdin_data.size() > kMaxJobStdinBytes) {
    return Fail(
        Bad("field 'stdin' is larger than " + std::to_string(kMaxJobStdinBytes) + " bytes"));
  }
  out.stdin_data = job.stdin_data;
  if (job.args.size() > kMaxJobArgs) {
    return Fail(Bad("field 'args' holds more than " + std::to_string(kMaxJobArgs) + " arguments"));
  }
  for (const std::string& arg : job.args) {
    if (arg.size() > kMaxJobArgBytes) {
      return Fail(
          Bad("field 'args': an argument is longer than " + std::to_string(kMaxJobArgBytes)));
    }
  }
  {  // the program's arguments, under the rules of any command (a NUL byte, the exec.max_* keys)
    ExecSpec spec;
    spec.argv.reserve(job.args.size() + 1);
    spec.argv.emplace_back("program");
    spec.argv.insert(spec.argv.end(), job.args.begin(), job.args.end());
    CY_CHECK(ValidateExecSpec(spec, o.exec_limits));
  }
  out.args = job.args;
  // With no limit given the limits equal RunnerOptions::default_limits: what the pool serves.
  if (job.time_limit_s) {
    CY_CHECK(InRange("time_limit_s", *job.time_limit_s, 0.01, o.max_time_limit_s,
                     "jobs.max_time_limit_s"));
    out.limits = WithTimeLimit(out.limits, *job.time_limit_s);
  }
  if (job.memory_limit_mb) {
    CY_CHECK(InRange("memory_limit_mb", *job.memory_limit_mb, 8, o.max_memory_limit_mb,
                     "jobs.max_memory_limit_mb"));
    out.limits.memory_bytes = static_cast<uint64_t>(std::llround(*job.memory_limit_mb * 1048576));
  }
  if (job.output_limit_kb) {
    CY_CHECK(InRange("output_limit_kb", *job.output_limit_kb, 1, o.max_output_limit_kb,
                     "jobs.max_output_limit_kb"));
    out.limits.output_bytes = static_cast<uint64_t>(std::llround(*job.output_limit_kb * 1024));
  }
  if (!job.image.empty()) {
    auto known = images::CheckKnown(o.images_dir, job.image);
    // The backend's own word (k8s: the names its URI maps), so a pod can start on it.
    if (Executor* executor = impl_->executor(); known && executor != nullptr) {
      known = executor->CheckImage(job.image);
    }
    if (!known) return Fail(Bad("field 'image': " + known.error().message()));
    out.image = job.image;
  }
  return out;
}

std::string EncodeRunResult(const RunResult& run) {
  const ExitStatus& s = run.status;
  const json::object o{
      {"verdict", VerdictName(run.verdict)},
      {"exit_code", OptionalJson(s.exit_code)},
      {"signal", OptionalJson(s.signal)},
      {"stdout", run.stdout_data},
      {"stderr", run.stderr_data},
      {"cpu_ms", s.cpu_ms},
      {"wall_ms", s.wall_ms},
      {"memory_kb", s.memory_kb},
      {"oom_killed", s.oom_killed},
      {"time_limit_exceeded", s.time_limit_exceeded},
      {"output_truncated", s.output_truncated},
      {"compile_output", run.compile_output},
      {"compile_ms", run.compile_ms},
      {"message", run.message},
  };
  return json::serialize(o);
}

Result<RunResult> DecodeRunResult(std::string_view data) {
  CY_TRY(const json::value v, Parse(data, "run result"));
  const json::object& o = v.get_object();
  RunResult r;
  CY_TRY(const std::string verdict, Field<std::string>(o, "verdict"));
  r.verdict = Verdict::kInternalError;
  for (Verdict candidate :
       {Verdict::kOk, Verdict::kCompileError, Verdict::kRuntimeError, Verdict::kTimeLimitExceeded,
        Verdict::kMemoryLimitExceeded, Verdict::kOutputLimitExceeded, Verdict::kInternalError}) {
    if (VerdictName(candidate) == verdict) r.verdict = candidate;
  }
  CY_TRY(r.status.exit_code, OptionalInt(o, "exit_code"));
  CY_TRY(r.status.signal, OptionalInt(o, "signal"));
  CY_TRY(r.stdout_data, Field<std::string>(o, "stdout"));
  CY_TRY(r.stderr_data, Field<std::string>(o, "stderr"));
  CY_TRY(r.status.cpu_ms, Field<int64_t>(o, "cpu_ms"));
  CY_TRY(r.status.wall_ms, Field<int64_t>(o, "wall_ms"));
  CY_TRY(r.status.memory_kb, Field<uint64_t>(o, "memory_kb"));
  CY_TRY(r.status.oom_killed, Field<bool>(o, "oom_killed"));
  CY_TRY(r.status.time_limit_exceeded, Field<bool>(o, "time_limit_exceeded"));
  CY_TRY(r.status.output_truncated, Field<bool>(o, "output_truncated"));
  CY_TRY(r.compile_output, Field<std::string>(o, "compile_output"));
  CY_TRY(r.compile_ms, Field<int64_t>(o, "compile_ms"));
  CY_TRY(r.message, Field<std::string>(o, "message"));
  return r;
}

namespace jobs {

std::string EncodeRunRequest(const RunRequest& request) {
  json::array files;
  for (const FileData& f : request.files) {
    files.push_back(json::object{{"path", f.path},
                                 {"content", f.content},
                                 {"mode", f.mode},
                                 {"kind", f.kind == FileKind::kFile ? "file" : "other"}});
  }
  json::array args;
  for (const std::string& a : request.args) args.emplace_back(a);
  const RunLimits& l = request.limits;
  json::object o{
      {"language",
       request.language ? json::value(LanguageName(*request.language)) : json::value(nullptr)},
      {"files", std::move(files)},
      {"args", std::move(args)},
      {"stdin", request.stdin_data},
      {"limits", json::object{{"cpu_ms", l.cpu_time.count()},
                              {"wall_ms", l.wall_time.count()},
                              {"memory_bytes", l.memory_bytes},
                              {"pids", l.pids},
                              {"output_bytes", l.output_bytes},
                              {"disk_bytes", l.disk_bytes},
                              {"file_bytes", l.file_bytes},
                              {"cpus", l.cpus}}},
  };
  // Absent for the default: payloads stored before images read the same.
  if (!request.image.empty()) o["image"] = request.image;
  return json::serialize(o);
}

Result<RunRequest> DecodeRunRequest(std::string_view data) {
  CY_TRY(const json::value v, Parse(data, "run request"));
  const json::object& o = v.get_object();
  RunRequest r;
  if (const json::value* language = o.if_contains("language");
      language != nullptr && language->is_string()) {
    CY_TRY(r.language, ParseLanguage(std::string(language->get_string())));
  }
  const json::value* files = o.if_contains("files");
  const json::value* args = o.if_contains("args");
  const json::value* limits = o.if_contains("limits");
  if (files == nullptr || !files->is_array() || args == nullptr || !args->is_array() ||
      limits == nullptr || !limits->is_object()) {
    return Fail(Error::Code::kDataLoss, "jobs: the stored run request is malformed");
  }
  for (const json::value& f : files->get_array()) {
    if (!f.is_object()) return Fail(Error::Code::kDataLoss, "jobs: a stored file is malformed");
    FileData file;
    CY_TRY(file.path, Field<std::string>(f.get_object(), "path"));
    CY_TRY(file.content, Field<std::string>(f.get_object(), "content"));
    CY_TRY(file.mode, Field<uint32_t>(f.get_object(), "mode"));
    r.files.push_back(std::move(file));
  }
  for (const json::value& a : args->get_array()) {
    if (!a.is_string()) return Fail(Error::Code::kDataLoss, "jobs: a stored argument is malformed");
    r.args.emplace_back(a.get_string());
  }
  CY_TRY(r.stdin_data, Field<std::string>(o, "stdin"));
  const json::object& l = limits->get_object();
  CY_TRY(const int64_t cpu_ms, Field<int64_t>(l, "cpu_ms"));
  CY_TRY(const int64_t wall_ms, Field<int64_t>(l, "wall_ms"));
  r.limits.cpu_time = std::chrono::milliseconds(cpu_ms);
  r.limits.wall_time = std::chrono::milliseconds(wall_ms);
  CY_TRY(r.limits.memory_bytes, Field<uint64_t>(l, "memory_bytes"));
  CY_TRY(r.limits.pids, Field<uint32_t>(l, "pids"));
  CY_TRY(r.limits.output_bytes, Field<uint64_t>(l, "output_bytes"));
  CY_TRY(r.limits.disk_bytes, Field<uint64_t>(l, "disk_bytes"));
  CY_TRY(r.limits.file_bytes, Field<uint64_t>(l, "file_bytes"));
  CY_TRY(r.limits.cpus, Field<double>(l, "cpus"));
  if (o.contains("image")) {
    CY_TRY(r.image, Field<std::string>(o, "image"));
  }
  return r;
}

}  // namespace jobs
}  // namespace codeyard
