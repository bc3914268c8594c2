// The `codeyard` command table. Each command is one function that adds a CLI11 subcommand
// with its options and a callback; main() installs every entry of kCommands. Callbacks
// report failure by throwing CommandFailed, which main turns into a one-line message on
// stderr ("codeyard: <what>: <why>") and the exit code. Single-threaded: a command runs on
// main's thread.
#pragma once

#include <CLI/CLI.hpp>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/platform.hpp"

namespace codeyard::cli {

// Exit codes shared by every command (docs/cli.md). ExitCodeFor is the one place that maps
// an Error::Code to them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the operation ran and failed (not accepted, ...)
inline constexpr int kExitBadInput = 2;     // bad flags, config or arguments
inline constexpr int kExitNotFound = 3;     // the named thing does not exist (or is not yours)
inline constexpr int kExitPermission = 4;   // not logged in, or not allowed
inline constexpr int kExitConflict = 5;     // exists already, changed meanwhile, wrong state
inline constexpr int kExitUnavailable = 6;  // server or storage down, busy or rate-limited

[[nodiscard]] int ExitCodeFor(Error::Code code) noexcept;

class CommandFailed : public std::runtime_error {
 public:
  CommandFailed(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// Throws CommandFailed for an error, with ExitCodeFor(error.code()).
[[noreturn]] void Raise(const Error& error);

// Options every command that opens the platform accepts: --config, --set key=value, --storage,
// --data (the server's --data: the SQLite database and sandbox under one folder).
struct CommonOptions {
  std::string config_file;
  std::vector<std::string> sets;
  std::string storage_uri;
  std::string data_dir;

  void AddTo(CLI::App& app);
  // Loads config from file, environment and flags; raises on a bad value.
  [[nodiscard]] Config Load() const;
};

// Opens the configured storage (creating the data directory for the default SQLite file),
// without an executor; warnings only on stderr.
[[nodiscard]] std::shared_ptr<Platform> OpenStorage(const Config& config);

// Whether stderr is a terminal (progress lines are drawn only then).
[[nodiscard]] bool StderrIsTty();

void AddVersionCommand(CLI::App& app);
void AddMigrateCommand(CLI::App& app);
void AddConfigCommand(CLI::App& app);
void AddRunCommand(CLI::App& app);
void AddDoctorCommand(CLI::App& app);
void AddProblemsCommand(CLI::App& app);
void AddImageCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddUserCommand(CLI::App& app);
void AddGcCommand(CLI::App& app);
void AddBackupCommands(CLI::App& app);
void AddLoginCommands(CLI::App& app);
void AddWorkspaceCommand(CLI::App& app);
void AddSubmitCommand(CLI::App& app);
void AddReviewCommand(CLI::App& app);
void AddJobsCommand(CLI::App& app);
void AddAdminCommand(CLI::App& app);  // admin20
void AddOrgCommand(CLI::App& app);    // follow17

using AddCommand = void (*)(CLI::App&);
inline constexpr std::array<AddCommand, 18> kCommands = {
    AddVersionCommand,   AddMigrateCommand,  AddConfigCommand,  AddRunCommand,
    AddDoctorCommand,    AddProblemsCommand, AddImageCommand,   AddServeCommand,
    AddUserCommand,      AddGcCommand,       AddBackupCommands, AddLoginCommands,
    AddWorkspaceCommand, AddSubmitCommand,   AddReviewCommand,  AddJobsCommand,
    AddAdminCommand,  // admin20
    AddOrgCommand,    // follow17
};

}  // namespace codeyard::cli
