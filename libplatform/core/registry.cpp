#include "codeyard/backend/registry.hpp"

#include <utility>

#include "executor/fake/fake_registry.hpp"
#include "executor/kubernetes/kubernetes_executor.hpp"
#include "executor/local/local_executor.hpp"
#include "storage/postgres/postgres_storage.hpp"
#include "storage/sqlite/sqlite_storage.hpp"

namespace codeyard {

BackendRegistry BackendRegistry::WithBuiltins() {
  BackendRegistry r;
  r.RegisterStorage("sqlite", OpenSqliteStorage);
  r.RegisterStorage("postgres", OpenPostgresStorage);
  r.RegisterStorage("postgresql", OpenPostgresStorage);
  r.RegisterExecutor("local", local::OpenLocalExecutor);
  r.RegisterExecutor("fake", OpenFakeExecutor);
  r.RegisterExecutor("k8s", kube::OpenKubernetesExecutor);
  return r;
}

void BackendRegistry::RegisterStorage(std::string scheme, StorageFactory factory) {
  storage_[std::move(scheme)] = std::move(factory);
}

Result<std::unique_ptr<Storage>> BackendRegistry::OpenStorage(std::string_view uri,
                                                              const BackendContext& context) const {
  const auto colon = uri.find(':');
  if (uri.empty() || colon == std::string_view::npos || colon == 0) {
    return Fail(Error::Code::kInvalidArgument,
                "storage URI \"" + RedactUri(uri) +
                    "\" has no scheme; expected e.g. sqlite:///path/to.db or "
                    "postgres://user@host:5432/db");
  }
  const std::string_view scheme = uri.substr(0, colon);
  const auto it = storage_.find(scheme);
  if (it == storage_.end()) {
    std::string known;
    for (const auto& [name, _] : storage_) known += (known.empty() ? "" : ", ") + name;
    return Fail(Error::Code::kInvalidArgument,
                "unknown storage backend \"" + std::string(scheme) + "\" in \"" + RedactUri(uri) +
                    "\"; known: " + (known.empty() ? "none registered" : known));
  }
  return it->second(uri, context);
}

std::vector<std::string> BackendRegistry::StorageSchemes() const {
  std::vector<std::string> out;
  out.reserve(storage_.size());
  for (const auto& [name, _] : storage_) out.push_back(name);
  return out;
}

void BackendRegistry::RegisterExecutor(std::string scheme, ExecutorFactory factory) {
  executors_[std::move(scheme)] = std::move(factory);
}

Result<std::shared_ptr<Executor>> BackendRegistry::OpenExecutor(
    std::string_view uri, const BackendContext& context) const {
  const auto colon = uri.find(':');
  if (uri.empty() || colon == std::string_view::npos || colon == 0) {
    return Fail(Error::Code::kInvalidArgument,
                "executor URI \"" + std::string(uri) + "\" has no scheme; expected e.g. local:");
  }
  const std::string_view scheme = uri.substr(0, colon);
  const auto it = executors_.find(scheme);
  if (it == executors_.end()) {
    std::string known;
    for (const auto& [name, _] : executors_) known += (known.empty() ? "" : ", ") + name;
    return Fail(Error::Code::kInvalidArgument,
                "unknown executor backend \"" + std::string(scheme) + "\" in \"" +
                    std::string(uri) + "\"; known: " + (known.empty() ? "none registered" : known));
  }
  return it->second(uri, context);
}

std::vector<std::string> BackendRegistry::ExecutorSchemes() const {
  std::vector<std::string> out;
  out.reserve(executors_.size());
  for (const auto& [name, _] : executors_) out.push_back(name);
  return out;
}

std::string RedactUri(std::string_view uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::string(uri);
  const auto auth_start = scheme_end + 3;
  const auto at = uri.find('@', auth_start);
  const auto slash = uri.find('/', auth_start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(uri);
  }
  const auto colon = uri.find(':', auth_start);
  if (colon == std::string_view::npos || colon > at) return std::string(uri);
  std::string out(uri.substr(0, colon + 1));
  out += "***";
  out += uri.substr(at);
  return out;
}

}  // namespace codeyard
