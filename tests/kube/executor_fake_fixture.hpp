// A running `codeyard-kube-fake` for the executor's tests: started on a free loopback port
// with its own state directory, kubeconfig and audit log, stopped with SIGTERM when the
// fixture goes. With $CODEYARD_KUBE_AUDIT_APPEND set, its audit (every API request, in RBAC
// terms) is appended to that file then, for tests/k8s/check_rbac.mjs. Test code only; one
// thread uses a fixture.
#pragma once

#include <sys/types.h>
#include <memory>
#include <string>
#include <vector>

#include "executor/kubernetes/kube_http.hpp"

namespace codeyard::testing {

// The User-Agent of a test's own API client (KubeFake::TestClient), so the audit tells its
// requests from the executor's ("codeyard/<version>"): the RBAC check keeps only those.
inline constexpr const char* kTestClientAgent = "codeyard-tests";

class KubeFake {
 public:
  // Starts the fake serving `ns` (by default the workspace namespace of k8s/, whose Role the
  // audit is checked against); REQUIREs that it came up.
  explicit KubeFake(std::string ns = "codeyard-workspaces",
                    std::vector<std::string> extra_args = {});
  ~KubeFake();
  KubeFake(const KubeFake&) = delete;
  KubeFake& operator=(const KubeFake&) = delete;

  [[nodiscard]] const std::string& kubeconfig() const { return kubeconfig_; }
  [[nodiscard]] const std::string& ns() const { return ns_; }
  [[nodiscard]] const std::string& audit() const { return audit_; }
  // Its own directory (for a --token-file beside it) and base URL (for its /fake/ faults).
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // "k8s:?kubeconfig=...&namespace=...&image=ws:test" plus `extra` ("&key=value...").
  [[nodiscard]] std::string Uri(const std::string& extra = "") const;
  // An API client of the test's own (reading what kubectl would show, waiting on the API
  // server), from the kubeconfig, with User-Agent kTestClientAgent; REQUIREs it opens.
  [[nodiscard]] std::shared_ptr<kube::Client> TestClient() const;
  // The directory of the built codeyard-pod (bound into every fake pod).
  [[nodiscard]] static std::string BinDir();

 private:
  std::string dir_, kubeconfig_, audit_, ns_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace codeyard::testing
