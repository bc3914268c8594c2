// `codeyard-bench`: benchmark programs that print numbers. Each command measures Codeyard
// and a baseline in the same run and reports their ratio, since only ratios are comparable
// across noisy machines. Parsing and error reporting only; the benchmarks live in their files.
#include <cstdio>

#include "codeyard/platform.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace codeyard::bench;
  CLI::App app{"codeyard-bench: Codeyard against a baseline measured in the same run"};
  app.require_subcommand(1);
  app.set_version_flag("--version", codeyard::Version());
  for (const AddCommand add : kCommands) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  } catch (const BenchFailed& e) {
    (void)std::fprintf(stderr, "codeyard-bench: %s\n", e.what());
    return e.exit_code();
  }
  return kExitOk;
}
