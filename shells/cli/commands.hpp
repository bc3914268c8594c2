// The `codeyard` command table. Each command is one function that adds a CLI11 subcommand
// with its options and a callback; main() installs every entry of kCommands. Callbacks
// report failure by throwing CommandFailed, which main turns into a one-line message on
// stderr and the exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"

namespace codeyard::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // the operation ran and failed
inline constexpr int kExitBadInput = 2;  // bad flags, config or arguments

class CommandFailed : public std::runtime_error {
 public:
  CommandFailed(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// Throws CommandFailed for an error: kInvalidArgument maps to kExitBadInput, else kExitFailed.
[[noreturn]] void Raise(const Error& error);

// Options every command that opens the platform accepts: --config, --set key=value, --storage.
struct CommonOptions {
  std::string config_file;
  std::vector<std::string> sets;
  std::string storage_uri;

  void AddTo(CLI::App& app);
  // Loads config from file, environment and flags; raises on a bad value.
  [[nodiscard]] Config Load() const;
};

void AddVersionCommand(CLI::App& app);
void AddMigrateCommand(CLI::App& app);
void AddConfigCommand(CLI::App& app);
void AddRunCommand(CLI::App& app);
void AddDoctorCommand(CLI::App& app);
void AddProblemsCommand(CLI::App& app);
void AddImageCommand(CLI::App& app);

using AddCommand = void (*)(CLI::App&);
inline constexpr std::array<AddCommand, 7> kCommands = {
    AddVersionCommand, AddMigrateCommand,  AddConfigCommand, AddRunCommand,
    AddDoctorCommand,  AddProblemsCommand, AddImageCommand,
};

}  // namespace codeyard::cli
