// The registry belongs to the Options: a custom backend is found through it, two registries
// do not share entries, and StorageWrapper can inject a fault into the platform.
#include <catch2/catch.hpp>

#include <atomic>

#include "codeyard/backend/registry.hpp"
#include "codeyard/backend/storage_wrapper.hpp"
#include "codeyard/platform.hpp"

namespace codeyard {
namespace {

// Counts transactions and fails commits on demand: LevelDB's EnvWrapper pattern.
class FaultyStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  std::atomic<int> begins{0};
  std::atomic<bool> fail_begin{false};

  Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    ++begins;
    if (fail_begin) return Fail(Error::Code::kUnavailable, "injected: disk on fire");
    return StorageWrapper::Begin(kind);
  }
};

std::unique_ptr<Storage> OpenMemory() {
  auto s = BackendRegistry::WithBuiltins().OpenStorage("sqlite::memory:", {});
  REQUIRE(s);
  return std::move(*s);
}

TEST_CASE("a backend registered on one Options is used by that Platform only", "[registry]") {
  std::atomic<int> opened{0};
  Options mine;
  mine.registry.RegisterStorage(
      "counting",
      [&](std::string_view uri, const BackendContext&) -> Result<std::unique_ptr<Storage>> {
        ++opened;
        CHECK(uri == "counting://x");
        return std::make_unique<StorageWrapper>(std::shared_ptr<Storage>(OpenMemory()));
      });
  mine.storage_uri = "counting://x";
  auto p = Platform::Open(mine);
  REQUIRE(p);
  CHECK(opened == 1);
  CHECK((*p)->schema_version() >= 1);

  Options other;  // a fresh registry does not know "counting"
  other.storage_uri = "counting://x";
  auto q = Platform::Open(other);
  REQUIRE_FALSE(q);
  CHECK_THAT(q.error().message(), Catch::Contains("unknown storage backend \"counting\""));
  CHECK(opened == 1);

  const auto schemes = BackendRegistry::WithBuiltins().StorageSchemes();
  CHECK(schemes == std::vector<std::string>{"postgres", "postgresql", "sqlite"});
}

TEST_CASE("StorageWrapper forwards calls and can inject faults", "[registry]") {
  auto faulty = std::make_shared<FaultyStorage>(std::shared_ptr<Storage>(OpenMemory()));
  Options options;
  options.storage = faulty;
  auto p = Platform::Open(options);
  REQUIRE(p);
  CHECK(faulty->begins > 0);  // migrations went through the wrapper
  CHECK((*p)->Ping());
  CHECK(faulty->Info().backend == "sqlite");
  faulty->fail_begin = true;
  auto ping = (*p)->Ping();
  REQUIRE_FALSE(ping);
  CHECK(ping.error().code() == Error::Code::kUnavailable);
  CHECK_THAT(ping.error().message(), Catch::Contains("disk on fire"));
}

TEST_CASE("URIs are redacted before they reach a message", "[registry]") {
  CHECK(RedactUri("postgres://u:secret@h:5432/db") == "postgres://u:***@h:5432/db");
  CHECK(RedactUri("postgres://u@h/db") == "postgres://u@h/db");
  CHECK(RedactUri("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db");
  CHECK(RedactUri("postgres://h/db?x=a@b") == "postgres://h/db?x=a@b");
}

}  // namespace
}  // namespace codeyard
