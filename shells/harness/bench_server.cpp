#include "bench_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>  // mkdtemp
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Throw(const std::string& message) { throw std::runtime_error(message); }

}  // namespace

std::string RandomHex(std::size_t bytes) {
  std::random_device rd;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(rd() & 0xffU);
    out += kHex[b >> 4U];
    out += kHex[b & 0xfU];
  }
  return out;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "codeyard-bench-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) Throw("cannot create a temporary directory");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ServerBinary(const std::string& given) {
  std::filesystem::path path = given;
  if (path.empty()) {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) Throw("cannot find this program's directory: " + ec.message());
    path = self.parent_path() / "codeyard-server";
  }
  if (::access(path.c_str(), X_OK) != 0) {
    Throw("no codeyard-server at " + path.string() + " (build it, or pass --server PATH)");
  }
  return path.string();
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Throw("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port <= 0) Throw("cannot find a free port");
  return port;
}

HttpAnswer HttpCall(int port, const std::string& method, const std::string& path,
                    const std::string& body, const std::string& token) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Throw("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  request += body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buf[4096];
  for (ssize_t n = 0; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) {
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  HttpAnswer out;
  // HTTP/1.0 too: python3's http.server, a baseline of `codeyard-bench preview`, answers so.
  if ((response.starts_with("HTTP/1.1 ") || response.starts_with("HTTP/1.0 ")) &&
      response.size() >= 12) {
    out.status = std::stoi(response.substr(9, 3));
  }
  const auto split = response.find("\r\n\r\n");
  if (split != std::string::npos) out.body = response.substr(split + 4);
  return out;
}

boost::json::object JsonOf(const HttpAnswer& answer, int want, const std::string& step) {
  if (answer.status != want) {
    Throw(step + ": HTTP " + std::to_string(answer.status) + " " + answer.body);
  }
  return boost::json::parse(answer.body).as_object();
}

void WaitHealthy(int port, ChildProcess& server) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    if (!server.Running()) Throw("codeyard-server exited during start-up");
    if (HttpCall(port, "GET", "/api/v1/health").status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Throw("codeyard-server was not healthy within 20 s");
}

}  // namespace codeyard::bench
