// Files in and out (issue 17) on both storage backends: Archives (plans refuse what they must,
// the zip's records add up, a reader that leaves ends the write, a file deleted after the plan
// is left out) and Downloads (links verify on another replica's object, expire on the clock,
// break when altered, and die with the login or the user). The zip's content is read back by
// Python's zipfile and Info-ZIP's unzip in the server and browser suites.
#include <catch2/catch.hpp>

#include <cstring>

#include "codeyard/archive.hpp"
#include "codeyard/downloads.hpp"
#include "codeyard/id.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using Catch::Matchers::Contains;

class World {
 public:
  explicit World(std::unique_ptr<testing::TestDatabase> db)
      : db_(std::move(db)),
        clock_(std::make_shared<ManualClock>()),
        platform_(testing::OpenTestPlatform(*db_, clock_)),
        files_(std::make_shared<Files>(platform_)),
        ada(testing::InsertUser(*platform_, "ada")),
        bob(testing::InsertUser(*platform_, "bob")),
        ws(testing::InsertWorkspace(*platform_, ada, "proj")) {
    Commit([&](Transaction& tx) {
      RefreshToken t;
      t.id = NewUuid();
      t.user_id = ada;
      t.family_id = login;
      t.token_hash = NewUuid();
      t.created_at = clock_->NowMillis();
      t.expires_at = clock_->NowMillis() + 3600'000;
      return store::refresh_tokens::Insert(tx, t);
    });
  }

  template <class F>
  void Commit(F&& work) {
    auto done = store::Transact(platform_->storage(), TxKind::kWrite, std::forward<F>(work));
    if (!done) FAIL(done.error().ToString());
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::shared_ptr<ManualClock> clock_;
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Files> files_;
  std::string ada, bob, ws;
  std::string login = NewUuid();
};

uint32_t Le32(const std::string& s, std::size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
uint16_t Le16(const std::string& s, std::size_t at) {
  uint16_t v = 0;
  std::memcpy(&v, s.data() + at, 2);
  return v;
}

TEMPLATE_TEST_CASE("archive: plans refuse what they must", "[archive]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  Archives archives(w.platform_, w.files_);
  REQUIRE(w.files_->Write(w.ada, w.ws, "src/a.py", "a"));
  auto bob = archives.Plan(w.bob, w.ws, "");
  REQUIRE_FALSE(bob);
  CHECK(bob.error().code() == Code::kNotFound);
  auto missing = archives.Plan(w.ada, w.ws, "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Code::kNotFound);
  auto file = archives.Plan(w.ada, w.ws, "src/a.py");
  REQUIRE_FALSE(file);
  CHECK(file.error().code() == Code::kInvalidArgument);
  auto escape = archives.Plan(w.ada, w.ws, "../etc");
  REQUIRE_FALSE(escape);
  CHECK(escape.error().code() == Code::kInvalidArgument);
  auto src = archives.Plan(w.ada, w.ws, "src");
  REQUIRE(src);
  CHECK(src->file_name == "src.zip");
  REQUIRE(src->entries.size() == 1);
  CHECK(archives.Plan(w.ada, w.ws, "")->file_name == "proj.zip");
}

TEMPLATE_TEST_CASE("archive: the zip's records add up, a file deleted after the plan is left out",
                   "[archive]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  Archives archives(w.platform_, w.files_);
  const std::string binary("\0\x01\xff\x80 binary", 11);
  REQUIRE(w.files_->Write(w.ada, w.ws, "a/b/c.bin", binary));
  REQUIRE(w.files_->Write(w.ada, w.ws, "a/gone.txt", "soon deleted"));
  REQUIRE(w.files_->MakeDir(w.ada, w.ws, "empty"));
  auto plan = archives.Plan(w.ada, w.ws, "");
  REQUIRE(plan);
  REQUIRE(w.files_->Delete(w.ada, w.ws, "a/gone.txt"));
  std::string zip;
  auto stats = archives.Write(*plan, [&](std::string_view bytes) {
    zip.append(bytes);
    return true;
  });
  REQUIRE(stats);
  CHECK(stats->files == 1);
  CHECK(stats->folders == 3);  // a, a/b, empty
  CHECK(stats->skipped == 1);
  CHECK(stats->bytes_out == static_cast<int64_t>(zip.size()));
  // End of central directory: 4 entries, and the directory where it says it is.
  REQUIRE(zip.size() > 22);
  const std::size_t eocd = zip.size() - 22;
  CHECK(Le32(zip, eocd) == 0x06054b50);
  CHECK(Le16(zip, eocd + 10) == 4);
  const uint32_t cd_size = Le32(zip, eocd + 12);
  const uint32_t cd_start = Le32(zip, eocd + 16);
  CHECK(cd_start + cd_size == eocd);
  CHECK(Le32(zip, cd_start) == 0x02014b50);
  CHECK(Le32(zip, 0) == 0x04034b50);
  CHECK(zip.find("a/b/c.bin") != std::string::npos);
  CHECK(zip.find("empty/") != std::string::npos);
  CHECK(zip.find("gone.txt") == std::string::npos);
}

TEMPLATE_TEST_CASE("archive: a reader that leaves ends the write", "[archive]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  Archives archives(w.platform_, w.files_);
  for (int i = 0; i < 4; ++i) {
    // Incompressible (a periodic pattern deflates to a few bytes and fits in one sink call).
    std::string content(200 << 10, '\0');
    uint64_t x = 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(i);
    for (char& c : content) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x >> 56);
    }
    REQUIRE(w.files_->Write(w.ada, w.ws, "f" + std::to_string(i), content));
  }
  auto plan = archives.Plan(w.ada, w.ws, "");
  REQUIRE(plan);
  int calls = 0;
  auto stats = archives.Write(*plan, [&](std::string_view) { return ++calls < 2; });
  REQUIRE_FALSE(stats);
  CHECK(stats.error().code() == Code::kAborted);
  CHECK(calls == 2);
}

TEMPLATE_TEST_CASE(
    "downloads: links verify anywhere, expire, break when altered, die with the login",
    "[downloads]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  REQUIRE(w.files_->Write(w.ada, w.ws, "dir/x.txt", "x"));
  Downloads one(w.platform_, w.files_, DownloadOptions{.ttl_s = 60});
  Downloads two(w.platform_, w.files_, DownloadOptions{.ttl_s = 60});  // another replica

  auto grant = one.Sign(w.ada, w.login, w.ws, "dir/x.txt", DownloadKind::kFile);
  REQUIRE(grant);
  auto ticket = two.Verify(grant->token);
  REQUIRE(ticket);
  CHECK(ticket->user_id == w.ada);
  CHECK(ticket->workspace_id == w.ws);
  CHECK(ticket->path == "dir/x.txt");
  CHECK(ticket->kind == DownloadKind::kFile);

  // What may be signed.
  CHECK(one.Sign(w.bob, w.login, w.ws, "dir/x.txt", DownloadKind::kFile).error().code() ==
        Code::kNotFound);
  CHECK(one.Sign(w.ada, w.login, w.ws, "dir", DownloadKind::kFile).error().code() ==
        Code::kInvalidArgument);
  CHECK(one.Sign(w.ada, w.login, w.ws, "dir/x.txt", DownloadKind::kArchive).error().code() ==
        Code::kInvalidArgument);
  CHECK(one.Sign(w.ada, w.login, w.ws, "nope", DownloadKind::kFile).error().code() ==
        Code::kNotFound);
  auto whole = one.Sign(w.ada, w.login, w.ws, "", DownloadKind::kArchive);
  REQUIRE(whole);
  CHECK(two.Verify(whole->token)->path.empty());

  // Altered: any byte of either part.
  std::string tampered = grant->token;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  auto bad = one.Verify(tampered);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == Code::kUnauthenticated);
  tampered = grant->token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(one.Verify(tampered));
  CHECK_FALSE(one.Verify("no-dot"));

  // Expiry on the injected clock.
  w.clock_->Advance(std::chrono::seconds(59));
  CHECK(one.Verify(grant->token));
  w.clock_->Advance(std::chrono::seconds(1));
  auto expired = one.Verify(grant->token);
  REQUIRE_FALSE(expired);
  CHECK_THAT(expired.error().message(), Contains("expired"));

  // The login ends: every link made from it is refused.
  auto fresh = one.Sign(w.ada, w.login, w.ws, "dir/x.txt", DownloadKind::kFile);
  REQUIRE(fresh);
  REQUIRE(one.Verify(fresh->token));
  w.Commit([&](Transaction& tx) -> Result<void> {
    auto n = store::refresh_tokens::RevokeFamily(tx, w.login, w.clock_->NowMillis());
    if (!n) return std::unexpected(n.error());
    return {};
  });
  auto revoked = one.Verify(fresh->token);
  REQUIRE_FALSE(revoked);
  CHECK_THAT(revoked.error().message(), Contains("revoked"));
}

TEMPLATE_TEST_CASE("downloads: a disabled user's links are refused", "[downloads]",
                   CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  REQUIRE(w.files_->Write(w.ada, w.ws, "x.txt", "x"));
  Downloads downloads(w.platform_, w.files_);
  auto grant = downloads.Sign(w.ada, w.login, w.ws, "x.txt", DownloadKind::kFile);
  REQUIRE(grant);
  REQUIRE(downloads.Verify(grant->token));
  w.Commit([&](Transaction& tx) -> Result<void> {
    auto user = store::users::Get(tx, w.ada);
    if (!user) return std::unexpected(user.error());
    user->disabled = true;
    auto updated = store::users::Update(tx, *user, 1);
    if (!updated) return std::unexpected(updated.error());
    return {};
  });
  auto refused = downloads.Verify(grant->token);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message(), Contains("revoked"));
}

}  // namespace
}  // namespace codeyard
