#include "kube/executor_fake_fixture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "executor/kubernetes/kube_config.hpp"

extern char** environ;

namespace codeyard::testing {

KubeFake::KubeFake(std::string ns, std::vector<std::string> extra_args) : ns_(std::move(ns)) {
  char pattern[] = "/tmp/cy-kexec-fake-XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  dir_ = pattern;
  kubeconfig_ = dir_ + "/kubeconfig";
  audit_ = dir_ + "/audit.jsonl";
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const std::string binary = CODEYARD_KUBE_FAKE_BIN;
  const std::string state = dir_ + "/state";
  std::vector<std::string> args = {
      binary, "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig_, "--audit-out",
      audit_, "--state",  state,         "--namespace",      ns_};
  for (std::string& a : extra_args) {
    // "{dir}" names the fixture's directory, which exists only now.
    if (const size_t at = a.find("{dir}"); at != std::string::npos) a.replace(at, 5, dir_);
    args.push_back(a);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int spawned = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  REQUIRE(spawned == 0);
  // It prints its port once the kubeconfig is written: wait for that line, with a deadline.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[64];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  INFO("codeyard-kube-fake said: " << line);
  REQUIRE(line.find('\n') != std::string::npos);
  port_ = std::atoi(line.c_str());
  REQUIRE(std::filesystem::exists(kubeconfig_));
}

namespace {

// Appends the file `from` to `to` in one locked write: the ctest entries of the executor's
// cases run side by side, each appending its fake's audit to one file.
void AppendWhole(const std::string& from, const char* to) {
  std::ifstream in(from);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int fd = ::open(to, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)::flock(fd, LOCK_EX);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);  // releases the lock
}

}  // namespace

KubeFake::~KubeFake() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (const char* append = std::getenv("CODEYARD_KUBE_AUDIT_APPEND"); append && *append) {
    AppendWhole(audit_, append);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string KubeFake::Uri(const std::string& extra) const {
  return "k8s:?kubeconfig=" + kubeconfig_ + "&namespace=" + ns_ + "&image=ws:test" + extra;
}

std::shared_ptr<kube::Client> KubeFake::TestClient() const {
  auto config = kube::LoadKubeconfig(kubeconfig_);
  REQUIRE(config.has_value());
  config->user_agent = kTestClientAgent;
  auto client = kube::Client::Create(*config);
  REQUIRE(client.has_value());
  return *client;
}

std::string KubeFake::BinDir() {
  return std::filesystem::path(CODEYARD_KUBE_FAKE_BIN).parent_path().string();
}

}  // namespace codeyard::testing
