// `codeyard`: the command-line shell over the library. Parsing and error mapping only; every
// rule lives in the library.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "codeyard/platform.hpp"

#include "commands.hpp"

namespace codeyard::cli {

int ExitCodeFor(Error::Code code) noexcept {
  using C = Error::Code;
  switch (code) {
    case C::kInvalidArgument:
      return kExitBadInput;
    case C::kNotFound:
      return kExitNotFound;
    case C::kPermissionDenied:
    case C::kUnauthenticated:
      return kExitPermission;
    case C::kAlreadyExists:
    case C::kConflict:
    case C::kFailedPrecondition:
      return kExitConflict;
    case C::kUnavailable:
    case C::kResourceExhausted:
    case C::kDeadlineExceeded:
    case C::kAborted:
      return kExitUnavailable;
    default:
      return kExitFailed;
  }
}

void Raise(const Error& error) { throw CommandFailed(ExitCodeFor(error.code()), error.ToString()); }

bool StderrIsTty() { return isatty(STDERR_FILENO) == 1; }

void CommonOptions::AddTo(CLI::App& app) {
  app.add_option("--config", config_file, "JSON configuration file")->check(CLI::ExistingFile);
  app.add_option("--set", sets, "override a configuration key: --set key=value");
  app.add_option("--storage", storage_uri, "storage URI (same as --set storage.uri=...)");
  app.add_option("--data,--data-dir", data_dir,
                 "data directory, as the server's --data (same as --set data_dir=...)");
}

Config CommonOptions::Load() const {
  ConfigInputs inputs;
  inputs.file = config_file;
  inputs.env = ProcessEnvironment();
  for (const auto& s : sets) {
    auto kv = SplitAssignment(s);
    if (!kv) Raise(kv.error().WithContext("--set"));
    inputs.flags.push_back(*kv);
  }
  if (!data_dir.empty()) inputs.flags.emplace_back("data_dir", data_dir);
  if (!storage_uri.empty()) inputs.flags.emplace_back("storage.uri", storage_uri);
  auto config = LoadConfig(inputs);
  if (!config) Raise(config.error());
  return *config;
}

std::shared_ptr<Platform> OpenStorage(const Config& config) {
  if (config.storage_uri.empty()) {  // the default SQLite file lives in the data directory
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      Raise(Error(Error::Code::kInvalidArgument,
                  "cannot create data directory " + config.data_dir + ": " + ec.message()));
    }
  }
  Options options;
  options.storage_uri = config.EffectiveStorageUri();
  options.logger = std::make_shared<Logger>(std::max(config.log_level, LogLevel::kWarn));
  auto platform = Platform::Open(options);
  if (!platform) Raise(platform.error());
  return std::shared_ptr<Platform>(std::move(*platform));
}

}  // namespace codeyard::cli

int main(int argc, char** argv) {
  using namespace codeyard::cli;
  CLI::App app{"codeyard: workspaces, sandboxed execution and review, from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", codeyard::Version());
  app.footer(
      "Local administration opens the storage directly (--data DIR or --storage URI); client\n"
      "commands talk to a server after `codeyard login URL`.\n"
      "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 permission, 5 conflict,\n"
      "6 unavailable (see docs/cli.md). `codeyard COMMAND --help` shows examples.");
  for (const AddCommand add : kCommands) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  } catch (const CommandFailed& e) {
    // An empty message means the command already said everything (e.g. a run's verdict).
    if (*e.what() != '\0') std::fprintf(stderr, "codeyard: %s\n", e.what());
    return e.exit_code();
  }
  return kExitOk;
}
