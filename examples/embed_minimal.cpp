// The smallest embedding: SQLite and the local sandbox under one data directory (as the
// server's --data), a user, a workspace, main.py written and run, its output printed.
//   build/bin/example_embed_minimal [DATA_DIR]      (default: a fresh directory under /tmp)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codeyard/codeyard.hpp"

int main(int argc, char** argv) {
  codeyard::Config config;
  if (argc > 1) {
    config.data_dir = argv[1];
  } else {
    char dir[] = "/tmp/codeyard-embed-XXXXXX";
    if (mkdtemp(dir) == nullptr) return std::perror("mkdtemp"), 1;
    config.data_dir = dir;
  }
  config.executor_uri = "local:";  // sandboxed pods under <data_dir>/pods
  config.dev_mode = true;          // the token secret is generated once into <data_dir>/secret

  auto services = codeyard::Services::Open(config);
  if (!services) return std::fprintf(stderr, "open: %s\n", services.error().ToString().c_str()), 1;
  codeyard::Services& s = **services;

  const std::string name = "ada-" + codeyard::NewUuid().substr(0, 8);
  auto user = s.accounts().Register({name, "correct horse battery", "", {}});
  if (!user) return std::fprintf(stderr, "register: %s\n", user.error().ToString().c_str()), 1;
  auto ws = s.workspaces().Create(user->id, "hello");
  if (!ws) return std::fprintf(stderr, "workspace: %s\n", ws.error().ToString().c_str()), 1;
  auto written = s.files().Write(user->id, ws->id, "main.py", "print('hello from', 6 * 7)\n");
  if (!written) return std::fprintf(stderr, "write: %s\n", written.error().ToString().c_str()), 1;

  codeyard::ExecSpec spec;
  spec.argv = {"python3", "main.py"};
  auto ran = s.workspaces().Exec(user->id, ws->id, spec);
  if (!ran) return std::fprintf(stderr, "exec: %s\n", ran.error().ToString().c_str()), 1;
  std::fputs(ran->stdout_data.c_str(), stdout);
  std::printf("exit %d, verdict %s, %lld ms of CPU\n", ran->status.exit_code.value_or(-1),
              std::string(codeyard::VerdictName(ran->verdict)).c_str(),
              static_cast<long long>(ran->status.cpu_ms));
  (void)s.workspaces().Stop(user->id, ws->id);
  return ran->status.exit_code == 0 ? 0 : 1;
}
