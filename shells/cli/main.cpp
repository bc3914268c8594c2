// `codeyard`: the command-line shell over the library. Parsing and error mapping only; every
// rule lives in the library.
#include <cstdio>

#include "codeyard/platform.hpp"

#include "commands.hpp"

namespace codeyard::cli {

void Raise(const Error& error) {
  throw CommandFailed(error.code() == Error::Code::kInvalidArgument ? kExitBadInput : kExitFailed,
                      error.ToString());
}

void CommonOptions::AddTo(CLI::App& app) {
  app.add_option("--config", config_file, "JSON configuration file")->check(CLI::ExistingFile);
  app.add_option("--set", sets, "override a configuration key: --set key=value");
  app.add_option("--storage", storage_uri, "storage URI (same as --set storage.uri=...)");
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
  if (!storage_uri.empty()) inputs.flags.emplace_back("storage.uri", storage_uri);
  auto config = LoadConfig(inputs);
  if (!config) Raise(config.error());
  return *config;
}

}  // namespace codeyard::cli

int main(int argc, char** argv) {
  using namespace codeyard::cli;
  CLI::App app{"codeyard: workspaces, sandboxed execution and review, from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", codeyard::Version());
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
