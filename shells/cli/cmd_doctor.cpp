// `codeyard doctor`: what this host offers the sandbox, one line per check, in plain words.
// Exit code 0 when every required check passes, 1 otherwise.
#include <cstdio>
#include <memory>

#include "codeyard/platform.hpp"
#include "commands.hpp"

namespace codeyard::cli {

void AddDoctorCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor", "check what this host offers the sandbox");
  cmd->footer(
      "Examples:\n"
      "  codeyard doctor\n"
      "  codeyard doctor --executor \"local:?allow_unlimited=1\"");
  auto common = std::make_shared<CommonOptions>();
  auto uri = std::make_shared<std::string>();
  common->AddTo(*cmd);
  cmd->add_option("--executor", *uri, "executor URI (default: executor.uri)");
  cmd->callback([common, uri] {
    const Config config = common->Load();
    Options options;
    options.executor_uri = uri->empty() ? config.executor_uri : *uri;
    options.logger = std::make_shared<Logger>(config.log_level);
    auto executor = OpenExecutor(options);
    if (!executor) Raise(executor.error());
    auto checks = (*executor)->Doctor();
    if (!checks) Raise(checks.error());
    bool required_ok = true;
    for (const auto& check : *checks) {
      const char* mark = check.ok ? "ok  " : (check.required ? "FAIL" : "warn");
      if (!check.ok && check.required) required_ok = false;
      std::printf("[%s] %-28s %s\n", mark, check.name.c_str(), check.detail.c_str());
    }
    std::printf("%s\n", required_ok ? "This host can run sandboxed pods."
                                    : "This host cannot run sandboxed pods safely; see FAIL "
                                      "lines above.");
    if (!required_ok) throw CommandFailed(kExitFailed, "");
  });
}

}  // namespace codeyard::cli
