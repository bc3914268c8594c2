// `codeyard config`: show every key with its effective value and source rules, or check a
// configuration and say exactly what is wrong with it.
#include <cstdio>
#include <memory>

#include "codeyard/backend/registry.hpp"
#include "commands.hpp"

namespace codeyard::cli {

void AddConfigCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "check and show the effective configuration");
  auto options = std::make_shared<CommonOptions>();
  options->AddTo(*cmd);
  auto list_keys = std::make_shared<bool>(false);
  cmd->add_flag("--keys", *list_keys, "list every configuration key with its default");
  cmd->callback([options, list_keys] {
    if (*list_keys) {
      for (const ConfigKey& k : ConfigKeys()) {
        std::printf("%-24s %-34s %.*s\n", std::string(k.name).c_str(),
                    ("default: " + std::string(k.default_value)).c_str(),
                    static_cast<int>(k.description.size()), k.description.data());
      }
      return;
    }
    const Config c = options->Load();
    for (const auto& w : c.warnings) std::fprintf(stderr, "codeyard: warning: %s\n", w.c_str());
    std::printf("server.listen         %s:%d\n", c.listen_host.c_str(), c.listen_port);
    std::printf("server.max_body_bytes %lld\n", static_cast<long long>(c.max_body_bytes));
    std::printf("data_dir              %s\n", c.data_dir.c_str());
    std::printf("storage.uri           %s\n", RedactUri(c.EffectiveStorageUri()).c_str());
    std::printf("log.level             %s\n", std::string(LogLevelName(c.log_level)).c_str());
    std::printf("dev_mode              %s\n", c.dev_mode ? "true" : "false");
    std::printf("secret                %s\n", c.secret.empty() ? "(unset)" : "(set, hidden)");
  });
}

}  // namespace codeyard::cli
