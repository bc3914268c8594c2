// `codeyard run [--lang L] [--time-limit S] [--memory-limit MB] [--stdin FILE] [--json] FILE...`:
// runs the files one-shot in a fresh pod and reports the verdict. The program's stdout and
// stderr go to ours; the summary goes to stderr (or, with --json, everything is one JSON
// object on stdout). Exit code 0 only for the verdict "ok".
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "codeyard/run.hpp"
#include "codeyard/services.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

struct RunFlags {
  std::string language;
  double time_limit_s = 5.0;
  double wall_limit_s = 0.0;  // 0: twice the time limit
  double memory_limit_mb = 256;
  double output_limit_mb = 1;
  std::string stdin_file;
  bool json = false;
  std::vector<std::string> files;
  std::vector<std::string> args;
  std::string executor_uri;
};

std::string ReadFileOrRaise(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Raise(Error(Error::Code::kInvalidArgument, "cannot read " + path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string BaseName(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void PrintJson(const RunResult& r) {
  boost::json::object o;
  o["verdict"] = VerdictName(r.verdict);
  o["exit_code"] = r.status.exit_code ? boost::json::value(*r.status.exit_code) : nullptr;
  o["signal"] = r.status.signal ? boost::json::value(*r.status.signal) : nullptr;
  o["cpu_ms"] = r.status.cpu_ms;
  o["wall_ms"] = r.status.wall_ms;
  o["memory_kb"] = r.status.memory_kb;
  o["stdout"] = r.stdout_data;
  o["stderr"] = r.stderr_data;
  o["output_truncated"] = r.status.output_truncated;
  if (!r.compile_output.empty()) o["compile_output"] = r.compile_output;
  if (r.compile_ms > 0) o["compile_ms"] = r.compile_ms;
  if (!r.message.empty()) o["message"] = r.message;
  std::cout << boost::json::serialize(o) << "\n";
}

void PrintText(const RunResult& r) {
  if (!r.compile_output.empty()) std::cerr << r.compile_output;
  std::cout << r.stdout_data << std::flush;
  std::cerr << r.stderr_data;
  std::ostringstream line;
  line << "verdict: " << VerdictName(r.verdict);
  if (r.status.signal) {
    line << " | signal " << *r.status.signal;
  } else if (r.status.exit_code) {
    line << " | exit code " << *r.status.exit_code;
  }
  line << " | cpu " << r.status.cpu_ms << " ms | wall " << r.status.wall_ms << " ms | memory "
       << r.status.memory_kb << " KiB";
  if (r.status.output_truncated) line << " | output truncated";
  if (!r.message.empty()) line << " | " << r.message;
  std::cerr << line.str() << "\n";
}

void Execute(const RunFlags& flags, const CommonOptions& common) {
  const Config config = common.Load();
  RunRequest request;
  if (!flags.language.empty()) {
    auto language = ParseLanguage(flags.language);
    if (!language) Raise(language.error());
    request.language = *language;
  }
  for (const auto& path : flags.files) {
    FileData file;
    file.path = BaseName(path);
    file.content = ReadFileOrRaise(path);
    request.files.push_back(std::move(file));
  }
  if (!flags.stdin_file.empty()) request.stdin_data = ReadFileOrRaise(flags.stdin_file);
  request.args = flags.args;
  request.limits = WithTimeLimit(request.limits, flags.time_limit_s, flags.wall_limit_s);
  request.limits.memory_bytes = static_cast<uint64_t>(flags.memory_limit_mb * 1024 * 1024);
  request.limits.output_bytes = static_cast<uint64_t>(flags.output_limit_mb * 1024 * 1024);

  // A one-shot run stores nothing: storage stays in memory, no pods are kept warm and nothing
  // runs in the background; the run follows the configured run.* rules.
  Options options;
  options.storage_uri = "sqlite::memory:";
  options.executor_uri = flags.executor_uri.empty() ? config.executor_uri : flags.executor_uri;
  // Opening the in-memory storage is no news to a person running code: info lines stay out of
  // the run's stderr (warnings and errors still come through).
  options.logger = std::make_shared<Logger>(std::max(config.log_level, LogLevel::kWarn));
  ServiceOptions service_options = ServiceOptionsFrom(config);
  service_options.runner.pool_size = 0;
  service_options.start_background = false;
  auto services = Services::Open(options, std::move(service_options));
  if (!services) Raise(services.error());
  auto result = (*services)->runner().Run(request);
  if (!result) Raise(result.error());
  if (flags.json) {
    PrintJson(*result);
  } else {
    PrintText(*result);
  }
  if (result->verdict != Verdict::kOk) {
    throw CommandFailed(kExitFailed, "");
  }
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "run source files one-shot in a fresh sandbox");
  auto flags = std::make_shared<RunFlags>();
  cmd->footer(
      "Examples:\n"
      "  codeyard run hello.py\n"
      "  codeyard run main.c --stdin input.txt --time-limit 2 --memory-limit 256\n"
      "  codeyard run app.js util.js --arg --verbose --json");
  auto common = std::make_shared<CommonOptions>();
  common->AddTo(*cmd);
  cmd->add_option("--lang", flags->language,
                  "python, node, c, cpp or bash (default: from the "
                  "first file's extension)");
  cmd->add_option("--time-limit", flags->time_limit_s, "CPU time limit in seconds")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--wall-time-limit", flags->wall_limit_s,
                  "real time limit in seconds (default: twice the time limit)")
      ->check(CLI::Range(0.01, 7200.0));
  cmd->add_option("--memory-limit", flags->memory_limit_mb, "memory limit in MiB")
      ->check(CLI::Range(8.0, 65536.0));
  cmd->add_option("--output-limit", flags->output_limit_mb, "stdout+stderr kept, in MiB")
      ->check(CLI::Range(0.001, 1024.0));
  cmd->add_option("--stdin", flags->stdin_file, "file fed to the program's stdin")
      ->check(CLI::ExistingFile);
  cmd->add_option("--executor", flags->executor_uri, "executor URI (default: executor.uri)");
  cmd->add_flag("--json", flags->json, "print one JSON object with the verdict and output");
  cmd->add_option("--arg", flags->args, "an argument for the program (repeatable)");
  cmd->add_option("files", flags->files, "source files; the first is the entry point")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->callback([flags, common] { Execute(*flags, *common); });
}

}  // namespace codeyard::cli
