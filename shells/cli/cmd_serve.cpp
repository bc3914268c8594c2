// `codeyard serve [SERVER FLAGS...]`: runs the HTTP server. The server is an executable
// (shells/server links libwebsockets and its routes into codeyard-server, not a library this
// binary can link), so serve execs the `codeyard-server` installed beside this binary, with
// every flag passed through unchanged: `codeyard serve --dev --data DIR` is
// `codeyard-server --dev --data DIR`. The process is replaced, so signals and the exit code
// are the server's own.
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "commands.hpp"

namespace codeyard::cli {
namespace {

std::filesystem::path ServerBeside() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) Raise(Error(Error::Code::kInternal, "serve: cannot find this binary: " + ec.message()));
  return self.parent_path() / "codeyard-server";
}

void Serve(const std::vector<std::string>& args) {
  const std::filesystem::path server = ServerBeside();
  std::vector<std::string> argv_text = {server.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_text.size() + 1);
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(server.c_str(), argv.data());
  const int err = errno;
  Raise(
      Error(err == ENOENT ? Error::Code::kNotFound : Error::Code::kInternal,
            "serve: cannot run " + server.string() + ": " + std::generic_category().message(err)));
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "serve",
      "run the HTTP server (execs codeyard-server beside this binary; flags pass through)");
  cmd->footer(
      "Examples:\n"
      "  codeyard serve --dev --data ./data --listen 127.0.0.1:8080\n"
      "  codeyard serve --config /etc/codeyard.json\n"
      "See `codeyard-server --help` for the flags.");
  cmd->prefix_command();  // everything after `serve` belongs to the server
  cmd->set_help_flag();   // `serve --help` is the server's help
  cmd->callback([cmd] { Serve(cmd->remaining()); });
}

}  // namespace codeyard::cli
