// How the library reaches a Kubernetes API server: the server's URL, how to trust it (CA,
// or verification switched off), who we are (a bearer token, a token file that rotates, or a
// client certificate) and the default namespace. It comes from a kubeconfig file (what
// kubectl reads), from inside a pod (the service account's mounted files), or from a `k8s:`
// executor URI's query, which picks one of the two and sets the per-call deadline. A Config
// is a plain value: copy it freely; nothing here keeps state between calls.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard::kube {

// Where a pod finds its service account's token, CA and namespace.
inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct Config {
  std::string server;  // "https://10.0.0.1:443", no trailing slash
  std::string ca_pem;  // PEM of the CAs to trust; empty: the system's CAs
  bool insecure_skip_tls_verify = false;
  std::string token;       // a static bearer token (kubeconfig `token`)
  std::string token_file;  // a token file read again when it changes (`tokenFile`, in-cluster)
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string default_namespace = "default";
  // Every call's deadline unless the call names its own (covers retries and backoff).
  std::chrono::milliseconds request_timeout{30000};
  // How often a token file is checked for a new token (client-go re-reads every minute;
  // projected tokens rotate well before they expire, so 10 s is plenty).
  std::chrono::milliseconds token_reload_interval{10000};
  // The User-Agent of every request and exec upgrade; empty: "codeyard/<version>". A test's
  // own client sets another, so the fake API server's audit tells it from the executor's.
  std::string user_agent;
};

// Reads a kubeconfig (YAML or JSON) and resolves `context` (empty: `current-context`) to its
// cluster and user. Relative certificate and token file paths are relative to the file's
// directory, as kubectl does. kInvalidArgument names the line of a syntax error or the
// missing entry; kNotFound when the file does not exist.
[[nodiscard]] Result<Config> LoadKubeconfig(const std::string& path, std::string_view context = {});

// The same from the file's text; `base_dir` resolves relative paths.
[[nodiscard]] Result<Config> ParseKubeconfig(std::string_view text, std::string_view context,
                                             const std::string& base_dir);

// The in-cluster config: `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` from the
// environment and `token`, `ca.crt`, `namespace` from `dir` (tests point it elsewhere).
// kFailedPrecondition when not running in a pod (no environment or no token file).
[[nodiscard]] Result<Config> LoadInCluster(
    const std::string& dir = std::string(kServiceAccountDir));

// The client's settings from a `k8s:` URI's query, already split into keys and values:
//   kubeconfig=PATH       a kubeconfig file (else in-cluster; else $KUBECONFIG, ~/.kube/config)
//   context=NAME          a context of that file instead of current-context
//   namespace=NS          overrides the context's or the service account's namespace
//   request_timeout_ms=N  every API call's default deadline (default 30000, 100..600000)
// Keys it does not know are left to the executor (kexec validates the rest).
[[nodiscard]] Result<Config> ConfigFromQuery(const std::map<std::string, std::string>& query);

// The query keys ConfigFromQuery reads, so the executor can reject unknown keys.
[[nodiscard]] bool IsClientQueryKey(std::string_view key) noexcept;

}  // namespace codeyard::kube
