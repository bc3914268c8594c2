// The `.syncignore` matcher (core/sync/sync_ignore): a workspace's file, written by its user,
// parsed on every sync, then matched against every path of the workspace. The input is the
// file's text, then paths to match (FuzzedDataProvider). Beyond not crashing: a folder name
// SkippableDirNames reports (the pod listing never descends into it) is ignored wherever it
// appears, as a folder.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/sync/sync_ignore.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string text = in.ConsumeRandomLengthString(4096);
  const auto rules = codeyard::sync::SyncIgnore::Parse(text);
  for (const std::string& name : rules.SkippableDirNames()) {
    if (!rules.Ignored(name, true) || !rules.Ignored("a/" + name, true)) {
      codeyard::fuzz::Broken("syncignore_fuzz", "skippable folder '" + name + "' is not ignored");
    }
  }
  for (int i = 0; i < 16 && in.remaining_bytes() > 0; ++i) {
    const bool is_dir = in.ConsumeBool();
    const std::string path = in.ConsumeRandomLengthString(512);
    (void)rules.Ignored(path, is_dir);
  }
  return 0;
}
