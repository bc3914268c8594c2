// The wire tests' loopback API server (client_apiserver.py on /usr/bin/python3's aiohttp) and
// a temporary directory per test. The server is a real HTTP/WebSocket server in another
// process; the fixture waits for its port file (inotify, with a deadline) and kills it by pid.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "executor/kubernetes/kube_config.hpp"
#include "storage/temp_dir.hpp"

namespace codeyard::kube::testing {

using codeyard::testing::TempDir;

struct ServerOptions {
  std::string token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;  // with TLS: require a client certificate signed by this CA
};

class ApiServer {
 public:
  explicit ApiServer(ServerOptions options = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  // A Config pointing at it ("http://127.0.0.1:PORT", or https with `tls`).
  [[nodiscard]] Config MakeConfig(bool tls = false) const;
  // Every request it served so far, one JSON object per line.
  [[nodiscard]] std::vector<std::string> Log() const;

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
};

// A CA and a server certificate for 127.0.0.1 made with the openssl command into `dir`:
// ca.pem, server.pem, server.key, and a client certificate client.pem, client.key.
void MakeCertificates(const std::filesystem::path& dir);

}  // namespace codeyard::kube::testing
