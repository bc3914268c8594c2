// `codeyard config`: show every key with its effective value and source rules, or check a
// configuration and say exactly what is wrong with it. `--keys --markdown` prints the key
// table of docs/configuration.md (scripts/gen-docs puts it there; a test compares the two).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <regex>

#include "codeyard/backend/registry.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

// "see [the API](api.md#x)" -> "see the API": the meaning as a terminal shows it.
std::string PlainText(std::string_view markdown) {
  static const std::regex kLink(R"(\[([^\]]*)\]\([^)]*\))");
  return std::regex_replace(std::string(markdown), kLink, "$1");
}

std::string Cell(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

// Sorted by name, so the generated table groups each prefix and does not move when a key is
// added to the code's table in another place.
std::vector<ConfigKey> SortedKeys() {
  std::vector<ConfigKey> keys = ConfigKeys();
  std::sort(keys.begin(), keys.end(),
            [](const ConfigKey& a, const ConfigKey& b) { return a.name < b.name; });
  return keys;
}

void PrintKeys(bool markdown) {
  if (markdown) {
    std::printf("| key | default | meaning |\n| --- | --- | --- |\n");
    for (const ConfigKey& k : SortedKeys()) {
      const std::string def =
          k.default_value.empty() ? "(empty)" : "`" + std::string(k.default_value) + "`";
      std::printf("| `%s` | %s | %s |\n", std::string(k.name).c_str(), Cell(def).c_str(),
                  Cell(k.description).c_str());
    }
    return;
  }
  for (const ConfigKey& k : SortedKeys()) {
    std::printf("%-34s %-34s %s\n", std::string(k.name).c_str(),
                ("default: " + std::string(k.default_value)).c_str(),
                PlainText(k.description).c_str());
  }
}

}  // namespace

void AddConfigCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "check and show the effective configuration");
  cmd->footer(
      "Examples:\n"
      "  codeyard config --config /etc/codeyard.json     # check a file, print the values\n"
      "  codeyard config --set server.listen=0.0.0.0:80  # what a --set would make\n"
      "  codeyard config --keys | grep jobs.             # every key, default and meaning\n"
      "  codeyard config --keys --markdown               # the table of docs/configuration.md");
  auto options = std::make_shared<CommonOptions>();
  options->AddTo(*cmd);
  auto list_keys = std::make_shared<bool>(false);
  auto markdown = std::make_shared<bool>(false);
  cmd->add_flag("--keys", *list_keys, "list every configuration key with its default and meaning");
  cmd->add_flag("--markdown", *markdown, "with --keys: print the keys as a Markdown table")
      ->needs("--keys");
  cmd->callback([options, list_keys, markdown] {
    if (*list_keys) {
      PrintKeys(*markdown);
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
