// How a C++ application embeds Codeyard: open a platform on a storage URI (SQLite in a temp
// file unless one is given), then use it. Build: part of the tree (`example_embed`); outside
// the tree, link the `codeyard` library and add include/ to the include path.
//
//   build/bin/example_embed                       # a fresh SQLite database in /tmp
//   build/bin/example_embed postgres://u@h/db     # any storage URI
#include <cstdio>
#include <memory>
#include <string>

#include "codeyard/codeyard.hpp"

int main(int argc, char** argv) {
  codeyard::Options options;
  options.storage_uri = argc > 1 ? argv[1] : "sqlite:///tmp/codeyard-example.db";
  options.logger = std::make_shared<codeyard::Logger>(codeyard::LogLevel::kInfo);

  auto platform = codeyard::Platform::Open(options);
  if (!platform) {
    std::fprintf(stderr, "cannot open: %s\n", platform.error().ToString().c_str());
    return 1;
  }
  const codeyard::StorageInfo info = (*platform)->storage().Info();
  std::printf("opened %s at %s, schema version %lld\n", info.backend.c_str(), info.location.c_str(),
              static_cast<long long>((*platform)->schema_version()));
  if (auto ping = (*platform)->Ping(); !ping) {
    std::fprintf(stderr, "storage does not answer: %s\n", ping.error().ToString().c_str());
    return 1;
  }
  return 0;
}
