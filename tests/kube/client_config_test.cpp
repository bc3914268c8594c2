#include <catch2/catch.hpp>
#include <cstdlib>

#include "client_fixture.hpp"
#include "executor/kubernetes/kube_config.hpp"
#include "executor/kubernetes/kube_yaml.hpp"

namespace codeyard::kube {
namespace {

// base64 of "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
constexpr const char* kCaData =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";

// What `kubectl config view --raw` writes (kind's kubeconfig, abridged), two contexts.
const std::string kKubectlConfig = std::string(R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: )") +
                                   kCaData + R"(
    server: https://127.0.0.1:6443/
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: "https://staging.example:443"
  name: staging
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
- context:
    cluster: staging
    namespace: 'codeyard-ws'   # quoted, with a comment
    user: robot
  name: staging
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: robot
  user:
    token: abc.def
    tokenFile: robot-token
)";

TEST_CASE("a kubeconfig as kubectl writes it resolves the current context", "[kube][config]") {
  auto config = ParseKubeconfig(kKubectlConfig, "", "/etc/kube");
  REQUIRE(config);
  CHECK(config->server == "https://127.0.0.1:6443");
  CHECK(config->ca_pem == "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  CHECK_FALSE(config->insecure_skip_tls_verify);
  CHECK(config->client_cert_pem == "CERT");
  CHECK(config->client_key_pem == "KEY");
  CHECK(config->token.empty());
  CHECK(config->default_namespace == "default");
}

TEST_CASE("a named context picks its cluster, user, namespace and token file", "[kube][config]") {
  auto config = ParseKubeconfig(kKubectlConfig, "staging", "/etc/kube");
  REQUIRE(config);
  CHECK(config->server == "https://staging.example:443");
  CHECK(config->insecure_skip_tls_verify);
  CHECK(config->token == "abc.def");
  CHECK(config->token_file == "/etc/kube/robot-token");  // relative to the file
  CHECK(config->default_namespace == "codeyard-ws");
}

TEST_CASE("a JSON kubeconfig parses too", "[kube][config]") {
  const std::string json = R"({"apiVersion":"v1","kind":"Config","current-context":"c",
    "clusters":[{"name":"k","cluster":{"server":"http://127.0.0.1:8001"}}],
    "contexts":[{"name":"c","context":{"cluster":"k","user":"u","namespace":"jobs"}}],
    "users":[{"name":"u","user":{"token":"t0k"}}]})";
  auto config = ParseKubeconfig(json, "", "");
  REQUIRE(config);
  CHECK(config->server == "http://127.0.0.1:8001");
  CHECK(config->token == "t0k");
  CHECK(config->default_namespace == "jobs");
}

TEST_CASE("YAML scalars keep their types, quoted ones stay strings", "[kube][config]") {
  auto value = ParseYaml("a: true\nb: 'true'\nc: 12\nd: \"12\"\ne: ~\nf: [x, {g: 1}]\n");
  REQUIRE(value);
  const auto& o = value->as_object();
  CHECK(o.at("a").is_bool());
  CHECK(o.at("b").as_string() == "true");
  CHECK(o.at("c").as_int64() == 12);
  CHECK(o.at("d").as_string() == "12");
  CHECK(o.at("e").is_null());
  CHECK(o.at("f").as_array().at(1).as_object().at("g").as_int64() == 1);
}

TEST_CASE("a kubeconfig that is not YAML is refused naming its line", "[kube][config]") {
  auto config =
      ParseKubeconfig("apiVersion: v1\nclusters:\n- cluster:\n    server: [unclosed\n", "", "");
  REQUIRE_FALSE(config);
  CHECK(config.error().code() == Error::Code::kInvalidArgument);
  CHECK_THAT(config.error().message(),
             Catch::Contains("kubeconfig line 4") || Catch::Contains("kubeconfig line 5"));
}

TEST_CASE("missing contexts, clusters and users are named", "[kube][config]") {
  auto no_context = ParseKubeconfig(kKubectlConfig, "prod", "");
  REQUIRE_FALSE(no_context);
  CHECK_THAT(no_context.error().message(), Catch::Contains("no context \"prod\""));
  auto no_current = ParseKubeconfig("apiVersion: v1\nkind: Config\n", "", "");
  REQUIRE_FALSE(no_current);
  CHECK_THAT(no_current.error().message(), Catch::Contains("no current-context"));
  auto bad_base64 = ParseKubeconfig(
      "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
      "clusters: [{name: k, cluster: {server: 'https://x', certificate-authority-data: '%%%'}}]\n",
      "", "");
  REQUIRE_FALSE(bad_base64);
  CHECK_THAT(bad_base64.error().message(), Catch::Contains("certificate-authority-data"));
}

TEST_CASE("certificate files are read relative to the kubeconfig", "[kube][config]") {
  testing::TempDir dir;
  dir.Write("ca.crt", "CA PEM");
  dir.Write(
      "config",
      "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
      "clusters: [{name: k, cluster: {server: 'https://x', certificate-authority: ca.crt}}]\n");
  auto config = LoadKubeconfig((dir.path() / "config").string());
  REQUIRE(config);
  CHECK(config->ca_pem == "CA PEM");
  auto missing = LoadKubeconfig((dir.path() / "nope").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Error::Code::kNotFound);
}

TEST_CASE("in-cluster config reads the service account directory", "[kube][config]") {
  testing::TempDir dir;
  dir.Write("token", "sa-token\n");
  dir.Write("ca.crt", "CLUSTER CA");
  dir.Write("namespace", "workspaces\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = LoadInCluster(dir.path().string());
  REQUIRE(config);
  CHECK(config->server == "https://10.96.0.1:443");
  CHECK(config->token_file == (dir.path() / "token").string());
  CHECK(config->ca_pem == "CLUSTER CA");
  CHECK(config->default_namespace == "workspaces");
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  CHECK(LoadInCluster(dir.path().string())->server == "https://[fd00::1]:443");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto outside = LoadInCluster(dir.path().string());
  REQUIRE_FALSE(outside);
  CHECK(outside.error().code() == Error::Code::kFailedPrecondition);
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_CASE("the URI query picks the kubeconfig, namespace and deadline", "[kube][config]") {
  testing::TempDir dir;
  dir.Write("config", kKubectlConfig);
  const std::string path = (dir.path() / "config").string();
  auto config = ConfigFromQuery({{"kubeconfig", path},
                                 {"context", "staging"},
                                 {"namespace", "other"},
                                 {"request_timeout_ms", "2500"},
                                 {"image", "left to the executor"}});
  REQUIRE(config);
  CHECK(config->server == "https://staging.example:443");
  CHECK(config->default_namespace == "other");
  CHECK(config->request_timeout == std::chrono::milliseconds(2500));
  for (const char* bad : {"0", "99", "600001", "1s", ""}) {
    auto refused = ConfigFromQuery({{"kubeconfig", path}, {"request_timeout_ms", bad}});
    if (std::string(bad).empty()) continue;  // empty means unset
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message(), Catch::Contains("request_timeout_ms"));
  }
  CHECK(IsClientQueryKey("kubeconfig"));
  CHECK_FALSE(IsClientQueryKey("image"));
}

}  // namespace
}  // namespace codeyard::kube
