// The backend registry: maps a URI scheme ("sqlite", "postgres", "local") to a factory that
// opens a storage or executor backend. A registry is a value held by `codeyard::Options`, never a
// static global, so two platforms in one process can carry different backends.
// `BackendRegistry::WithBuiltins()` holds the backends that ship with the library; a third party
// adds its own with RegisterStorage() or RegisterExecutor() before calling `Platform::Open`. Not
// thread-safe while being filled; safe to read from many threads afterwards.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/error.hpp"
#include "codeyard/log.hpp"

namespace codeyard {

// What a factory may use while opening a backend.
struct BackendContext {
  std::shared_ptr<Logger> logger;
  std::shared_ptr<Clock> clock;
};

// Opens a backend for the whole URI (scheme included). Returns a clear error for a URI it
// cannot use; must not throw.
using StorageFactory =
    std::function<Result<std::unique_ptr<Storage>>(std::string_view uri, const BackendContext&)>;

// Opens an executor for the whole URI ("local:", "local:?state_dir=/run/codeyard/pods").
using ExecutorFactory =
    std::function<Result<std::shared_ptr<Executor>>(std::string_view uri, const BackendContext&)>;

class BackendRegistry {
 public:
  // An empty registry.
  BackendRegistry() = default;

  // A registry holding the built-in backends: storage "sqlite", "postgres", "postgresql";
  // executor "local".
  [[nodiscard]] static BackendRegistry WithBuiltins();

  // Adds or replaces the factory for `scheme` (lower-case letters, digits, '+', '-', '.').
  void RegisterStorage(std::string scheme, StorageFactory factory);

  // Opens the backend named by the URI's scheme (the text before the first ':').
  // Errors: kInvalidArgument for a URI without a scheme or with an unknown one (the message
  // lists the known schemes), else whatever the factory returns.
  [[nodiscard]] Result<std::unique_ptr<Storage>> OpenStorage(std::string_view uri,
                                                             const BackendContext& context) const;

  [[nodiscard]] std::vector<std::string> StorageSchemes() const;

  void RegisterExecutor(std::string scheme, ExecutorFactory factory);

  // Opens the executor named by the URI's scheme; errors as OpenStorage.
  [[nodiscard]] Result<std::shared_ptr<Executor>> OpenExecutor(std::string_view uri,
                                                               const BackendContext& context) const;

  [[nodiscard]] std::vector<std::string> ExecutorSchemes() const;

 private:
  std::map<std::string, StorageFactory, std::less<>> storage_;
  std::map<std::string, ExecutorFactory, std::less<>> executors_;
};

// Removes a password from a URI ("postgres://u:secret@h/db" -> "postgres://u:***@h/db") so
// it can be logged or shown in an error.
[[nodiscard]] std::string RedactUri(std::string_view uri);

}  // namespace codeyard
