// Configuration (codeyard/config.hpp LoadConfig): a JSON file (comments and trailing commas
// allowed), CODEYARD_* environment variables and --set key=value flags, all from whoever runs
// the server or the CLI. Flags and variables name real keys (picked from ConfigKeys()) with
// values from the input, so the value parsers of every key are reached; the file is the
// input's text, written to a scratch file since LoadConfig reads a path. The options the
// services derive from a Config are made from each accepted one.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "codeyard/config.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/terminals.hpp"
#include "fuzz_util.hpp"

namespace {

std::string EnvNameOf(std::string_view key) {
  std::string out = "CODEYARD_";
  for (const char c : key) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto keys = codeyard::ConfigKeys();
  FuzzedDataProvider in(data, size);
  codeyard::ConfigInputs inputs;
  if (in.ConsumeBool()) {
    const std::string text = in.ConsumeRandomLengthString(8192);
    std::ofstream(codeyard::fuzz::ScratchFile(".json"), std::ios::binary | std::ios::trunc) << text;
    inputs.file = codeyard::fuzz::ScratchFile(".json");
  }
  const int settings = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < settings; ++i) {
    const auto& key = keys[in.ConsumeIntegralInRange<std::size_t>(0, keys.size() - 1)];
    const bool as_env = in.ConsumeBool();
    const std::string value = in.ConsumeRandomLengthString(256);
    if (as_env) {
      inputs.env.emplace_back(EnvNameOf(key.name), value);
    } else {
      auto split = codeyard::SplitAssignment(std::string(key.name) + "=" + value);
      if (split) inputs.flags.push_back(*split);
    }
  }
  // A free-form flag, as typed after --set.
  if (auto split = codeyard::SplitAssignment(in.ConsumeRandomLengthString(256))) {
    inputs.flags.push_back(*split);
  }
  auto config = codeyard::LoadConfig(inputs);
  if (config) {
    (void)config->EffectiveStorageUri();
    (void)config->EffectiveImagesDir();
    (void)codeyard::TerminalOptionsFrom(*config);
    (void)codeyard::PackageCapsFrom(*config);
  }
  return 0;
}
