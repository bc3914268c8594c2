#include "executor/kubernetes/kube_config.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "executor/kubernetes/kube_yaml.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

Result<std::string> ReadText(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(Error::Code::kNotFound,
                "kubernetes: cannot read " + std::string(what) + " \"" + path + "\"");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::string> DecodeBase64(std::string_view text, std::string_view field) {
  std::string clean;
  for (const char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean.push_back(c);
  }
  const auto bad = [&] {
    return Fail(Error::Code::kInvalidArgument,
                "kubernetes: kubeconfig " + std::string(field) + " is not base64");
  };
  if (clean.size() % 4 != 0) return bad();
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return bad();
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  if (!clean.empty() && clean.back() == '=') --size;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string Resolve(const std::string& base_dir, std::string_view path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return std::string(path);
  return (std::filesystem::path(base_dir) / path).string();
}

const json::object* FindNamed(const json::object& root, std::string_view list_key,
                              std::string_view item_key, std::string_view name) {
  const auto* list = root.if_contains(list_key);
  if (list == nullptr || !list->is_array()) return nullptr;
  for (const auto& entry : list->get_array()) {
    if (!entry.is_object()) continue;
    const auto* entry_name = entry.get_object().if_contains("name");
    if (entry_name == nullptr || !entry_name->is_string() || entry_name->get_string() != name) {
      continue;
    }
    const auto* item = entry.get_object().if_contains(item_key);
    if (item != nullptr && item->is_object()) return &item->get_object();
    static const json::object kEmpty;
    return &kEmpty;
  }
  return nullptr;
}

std::string StringField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

bool BoolField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return false;
  if (value->is_bool()) return value->get_bool();
  return value->is_string() && value->get_string() == "true";
}

// `<key>-data` (base64 PEM) or `<key>` (a file path) of a cluster or user entry.
Result<std::string> PemField(const json::object& object, std::string_view key,
                             const std::string& base_dir) {
  const std::string data = StringField(object, std::string(key) + "-data");
  if (!data.empty()) return DecodeBase64(data, std::string(key) + "-data");
  const std::string path = StringField(object, key);
  if (path.empty()) return std::string();
  return ReadText(Resolve(base_dir, path), key);
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

Result<Config> ParseKubeconfig(std::string_view text, std::string_view context,
                               const std::string& base_dir) {
  auto parsed = ParseYaml(text);
  if (!parsed) return Fail(parsed.error());
  if (!parsed->is_object()) {
    return Fail(Error::Code::kInvalidArgument, "kubernetes: kubeconfig is not a mapping");
  }
  const json::object& root = parsed->get_object();
  const std::string context_name =
      context.empty() ? StringField(root, "current-context") : std::string(context);
  if (context_name.empty()) {
    return Fail(Error::Code::kInvalidArgument,
                "kubernetes: kubeconfig has no current-context and none was named");
  }
  const json::object* ctx = FindNamed(root, "contexts", "context", context_name);
  if (ctx == nullptr) {
    return Fail(Error::Code::kInvalidArgument,
                "kubernetes: kubeconfig has no context \"" + context_name + "\"");
  }
  const std::string cluster_name = StringField(*ctx, "cluster");
  const json::object* cluster = FindNamed(root, "clusters", "cluster", cluster_name);
  if (cluster == nullptr) {
    return Fail(Error::Code::kInvalidArgument, "kubernetes: kubeconfig has no cluster \"" +
                                                   cluster_name + "\" (context \"" + context_name +
                                                   "\")");
  }
  Config config;
  config.server = StringField(*cluster, "server");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (config.server.empty()) {
    return Fail(Error::Code::kInvalidArgument,
                "kubernetes: kubeconfig cluster \"" + cluster_name + "\" has no server");
  }
  config.insecure_skip_tls_verify = BoolField(*cluster, "insecure-skip-tls-verify");
  auto ca = PemField(*cluster, "certificate-authority", base_dir);
  if (!ca) return Fail(ca.error());
  config.ca_pem = std::move(*ca);

  const std::string user_name = StringField(*ctx, "user");
  if (!user_name.empty()) {
    const json::object* user = FindNamed(root, "users", "user", user_name);
    if (user == nullptr) {
      return Fail(Error::Code::kInvalidArgument,
                  "kubernetes: kubeconfig has no user \"" + user_name + "\"");
    }
    config.token = StringField(*user, "token");
    const std::string token_file = StringField(*user, "tokenFile");
    if (!token_file.empty()) config.token_file = Resolve(base_dir, token_file);
    auto cert = PemField(*user, "client-certificate", base_dir);
    if (!cert) return Fail(cert.error());
    auto key = PemField(*user, "client-key", base_dir);
    if (!key) return Fail(key.error());
    config.client_cert_pem = std::move(*cert);
    config.client_key_pem = std::move(*key);
    if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
      return Fail(Error::Code::kInvalidArgument,
                  "kubernetes: kubeconfig user \"" + user_name +
                      "\" has a client certificate without its key (or a key without one)");
    }
  }
  const std::string ns = StringField(*ctx, "namespace");
  if (!ns.empty()) config.default_namespace = ns;
  return config;
}

Result<Config> LoadKubeconfig(const std::string& path, std::string_view context) {
  auto text = ReadText(path, "kubeconfig");
  if (!text) return Fail(text.error());
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  auto config = ParseKubeconfig(*text, context, base_dir);
  if (!config) return Fail(config.error().WithContext("in \"" + path + "\""));
  return config;
}

Result<Config> LoadInCluster(const std::string& dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return Fail(Error::Code::kFailedPrecondition,
                "kubernetes: not in a cluster (KUBERNETES_SERVICE_HOST/PORT are not set)");
  }
  Config config;
  const std::string host_text(host);
  // An IPv6 service address needs brackets in a URL.
  config.server = host_text.find(':') != std::string::npos ? "https://[" + host_text + "]:" + port
                                                           : "https://" + host_text + ":" + port;
  config.token_file = dir + "/token";
  if (!std::filesystem::exists(config.token_file)) {
    return Fail(
        Error::Code::kFailedPrecondition,
        "kubernetes: in-cluster but no service account token at \"" + config.token_file + "\"");
  }
  auto ca = ReadText(dir + "/ca.crt", "service account CA");
  if (!ca) return Fail(ca.error());
  config.ca_pem = std::move(*ca);
  if (auto ns = ReadText(dir + "/namespace", "service account namespace"); ns) {
    if (auto trimmed = Trim(std::move(*ns)); !trimmed.empty()) config.default_namespace = trimmed;
  }
  return config;
}

bool IsClientQueryKey(std::string_view key) noexcept {
  return key == "kubeconfig" || key == "context" || key == "namespace" ||
         key == "request_timeout_ms";
}

Result<Config> ConfigFromQuery(const std::map<std::string, std::string>& query) {
  const auto get = [&](const char* key) -> std::string {
    const auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  Result<Config> config = Fail(Error::Code::kInternal, "unset");
  const std::string path = get("kubeconfig");
  const std::string context = get("context");
  if (!path.empty()) {
    config = LoadKubeconfig(path, context);
  } else if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr && context.empty()) {
    config = LoadInCluster();
  } else {
    std::string fallback;
    if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
      fallback = env;
      // kubectl merges a colon-separated list; the first file is enough for a server.
      if (const auto colon = fallback.find(':'); colon != std::string::npos) {
        fallback.resize(colon);
      }
    } else if (const char* home = std::getenv("HOME"); home != nullptr) {
      fallback = std::string(home) + "/.kube/config";
    }
    if (fallback.empty() || !std::filesystem::exists(fallback)) {
      return Fail(Error::Code::kInvalidArgument,
                  "kubernetes: no kubeconfig= given, not in a cluster, and no $KUBECONFIG or "
                  "~/.kube/config");
    }
    config = LoadKubeconfig(fallback, context);
  }
  if (!config) return config;
  if (const std::string ns = get("namespace"); !ns.empty()) config->default_namespace = ns;
  if (const std::string timeout = get("request_timeout_ms"); !timeout.empty()) {
    long long ms = 0;
    const auto [end, ec] = std::from_chars(timeout.data(), timeout.data() + timeout.size(), ms);
    if (ec != std::errc() || end != timeout.data() + timeout.size() || ms < 100 || ms > 600000) {
      return Fail(Error::Code::kInvalidArgument,
                  "kubernetes: request_timeout_ms must be a whole number of milliseconds in "
                  "100..600000, not \"" +
                      timeout + "\"");
    }
    config->request_timeout = std::chrono::milliseconds(ms);
  }
  return config;
}

}  // namespace codeyard::kube
