// How a C++ application embeds Codeyard: open the whole service graph from Options in one call
// (codeyard::Services::Open), then use the services: register a user, make a workspace, write
// a file, read it back. Build: part of the tree (`example_embed`); outside the tree, link the
// `codeyard` library and add include/ to the include path.
//
//   build/bin/example_embed                                # SQLite in /tmp, the fake executor
//   build/bin/example_embed postgres://u@h/db              # any storage URI
//   build/bin/example_embed sqlite:///tmp/x.db 'local:?state_dir=/tmp/pods'   # real sandboxes
#include <cstdio>
#include <memory>
#include <string>

#include "codeyard/codeyard.hpp"

namespace {

int Failed(const char* what, const codeyard::Error& error) {
  std::fprintf(stderr, "%s: %s\n", what, error.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  codeyard::Options options;
  options.storage_uri = argc > 1 ? argv[1] : "sqlite:///tmp/codeyard-example.db";
  // The in-memory fake runs no code; "local:?state_dir=DIR" runs real sandboxed pods.
  options.executor_uri = argc > 2 ? argv[2] : "fake:";
  options.logger = std::make_shared<codeyard::Logger>(codeyard::LogLevel::kWarn);
  codeyard::ServiceOptions service_options;
  service_options.accounts.secret = "an example secret of at least thirty-two bytes";

  auto opened = codeyard::Services::Open(options, service_options);
  if (!opened) return Failed("cannot open", opened.error());
  const std::shared_ptr<codeyard::Services> services = std::move(*opened);
  const codeyard::StorageInfo info = services->platform().storage().Info();
  std::printf("opened %s at %s, schema version %lld\n", info.backend.c_str(), info.location.c_str(),
              static_cast<long long>(services->platform().schema_version()));

  const std::string name = "example-" + codeyard::NewUuid().substr(0, 8);
  auto user = services->accounts().Register({name, "correct horse battery", "", {}});
  if (!user) return Failed("register", user.error());
  auto workspace = services->workspaces().Create(user->id, "example");
  if (!workspace) return Failed("create workspace", workspace.error());
  auto written = services->files().Write(user->id, workspace->id, "hello.py", "print('hi')\n");
  if (!written) return Failed("write", written.error());
  auto read = services->files().Read(user->id, workspace->id, "hello.py");
  if (!read) return Failed("read", read.error());
  std::printf("user %s, workspace %s: hello.py read back, %zu bytes\n", name.c_str(),
              workspace->id.c_str(), read->content.size());
  return 0;
}
