// `codeyard migrate`: open the storage, bring its schema up to date, print the version.
// Safe to run while servers are running: migrations serialize across processes.
#include <cstdio>
#include <memory>

#include "codeyard/platform.hpp"
#include "commands.hpp"

namespace codeyard::cli {

void AddMigrateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("migrate", "apply schema migrations to the storage");
  cmd->footer(
      "Examples:\n"
      "  codeyard migrate --data /var/lib/cy\n"
      "  codeyard migrate --storage postgres://codeyard@db/codeyard");
  auto options = std::make_shared<CommonOptions>();
  options->AddTo(*cmd);
  cmd->callback([options] {
    const Config config = options->Load();
    Options opts;
    opts.storage_uri = config.EffectiveStorageUri();
    opts.logger = std::make_shared<Logger>(config.log_level);
    auto platform = Platform::Open(opts);
    if (!platform) Raise(platform.error());
    const StorageInfo info = (*platform)->storage().Info();
    std::printf("%s %s: schema version %lld\n", info.backend.c_str(), info.location.c_str(),
                static_cast<long long>((*platform)->schema_version()));
  });
}

}  // namespace codeyard::cli
