#include "client_fixture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace codeyard::kube::testing {
namespace {

int Spawn(const std::vector<std::string>& argv, bool quiet = false) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  return pid;
}

int Run(const std::vector<std::string>& argv) {
  const int pid = Spawn(argv, /*quiet=*/true);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

ApiServer::ApiServer(ServerOptions options) {
  std::vector<std::string> argv = {
      "/usr/bin/python3", CODEYARD_KUBE_TEST_DIR "/client_apiserver.py",
      "--port-file",      (dir_.path() / "port").string(),
      "--log-file",       (dir_.path() / "log").string()};
  if (!options.token_file.empty()) argv.insert(argv.end(), {"--token-file", options.token_file});
  if (!options.tls_cert.empty()) {
    argv.insert(argv.end(), {"--tls-cert", options.tls_cert, "--tls-key", options.tls_key});
  }
  if (!options.client_ca.empty()) argv.insert(argv.end(), {"--client-ca", options.client_ca});
  // Watched before the spawn, so the port file's rename cannot come unseen.
  const int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  REQUIRE(watch >= 0);
  REQUIRE(inotify_add_watch(watch, dir_.path().c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) >= 0);
  pid_ = Spawn(argv);
  const int exited = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  REQUIRE(exited >= 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(dir_.path() / "port")) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    REQUIRE(left.count() > 0);  // the server did not listen within 30 s
    pollfd fds[2] = {{watch, POLLIN, 0}, {exited, POLLIN, 0}};
    REQUIRE(poll(fds, 2, static_cast<int>(left.count())) >= 0);
    REQUIRE((fds[1].revents & POLLIN) == 0);  // the server died while starting
    char events[4096];
    while (read(watch, events, sizeof events) > 0) {
    }
  }
  close(watch);
  close(exited);
  port_ = std::stoi(dir_.Read("port"));
}

ApiServer::~ApiServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

Config ApiServer::MakeConfig(bool tls) const {
  Config config;
  config.server = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  config.default_namespace = "ns";
  config.request_timeout = std::chrono::seconds(20);
  return config;
}

std::vector<std::string> ApiServer::Log() const {
  std::vector<std::string> lines;
  std::istringstream text(dir_.Read("log"));
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  return lines;
}

void MakeCertificates(const std::filesystem::path& dir) {
  const auto p = [&](const char* name) { return (dir / name).string(); };
  REQUIRE(Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-subj", "/CN=kube-test-ca", "-keyout", p("ca.key"), "-out", p("ca.pem")}) == 0);
  REQUIRE(Run({"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
               "-keyout", p("server.key"), "-out", p("server.csr")}) == 0);
  std::ofstream(dir / "ext.cnf") << "subjectAltName=IP:127.0.0.1\n";
  REQUIRE(Run({"/usr/bin/openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"),
               "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", p("ext.cnf"),
               "-out", p("server.pem")}) == 0);
  REQUIRE(Run({"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
               "/CN=codeyard-client", "-keyout", p("client.key"), "-out", p("client.csr")}) == 0);
  REQUIRE(Run({"/usr/bin/openssl", "x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"),
               "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2", "-out", p("client.pem")}) ==
          0);
}

}  // namespace codeyard::kube::testing
