#include <cstdio>

#include "codeyard/platform.hpp"
#include "commands.hpp"

namespace codeyard::cli {

void AddVersionCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "print the library version");
  cmd->footer(
      "Examples:\n"
      "  codeyard version");
  cmd->callback([] { std::printf("codeyard %s\n", Version()); });
}

}  // namespace codeyard::cli
