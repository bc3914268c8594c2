// Bad URIs and bad places: each gives an Error a person understands; nothing crashes.
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "codeyard/backend/registry.hpp"
#include "codeyard/platform.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

Error OpenError(const std::string& uri) {
  auto s = BackendRegistry::WithBuiltins().OpenStorage(uri, {});
  REQUIRE_FALSE(s);
  return s.error();
}

TEST_CASE("an unknown or missing scheme names the known ones", "[storage][bad-input]") {
  const Error e = OpenError("mysql://root@localhost/db");
  CHECK(e.code() == Error::Code::kInvalidArgument);
  CHECK_THAT(e.message(), Catch::Contains("unknown storage backend \"mysql\"") &&
                              Catch::Contains("postgres") && Catch::Contains("sqlite"));
  CHECK(OpenError("just-a-path.db").code() == Error::Code::kInvalidArgument);
  CHECK(OpenError("").code() == Error::Code::kInvalidArgument);
  // Through the single entry point too.
  Options options;
  options.storage_uri = "mongodb://x";
  auto p = Platform::Open(options);
  REQUIRE_FALSE(p);
  CHECK(p.error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("malformed SQLite URIs are refused with the reason", "[storage][bad-input]") {
  CHECK_THAT(OpenError("sqlite:relative.db").message(), Catch::Contains("sqlite:///absolute"));
  CHECK_THAT(OpenError("sqlite::memory:?readers=many").message(), Catch::Contains("readers"));
  CHECK_THAT(OpenError("sqlite::memory:?cache=shared").message(),
             Catch::Contains("unknown parameter \"cache\""));
  const Error missing = OpenError("sqlite:///nonexistent-dir-4f1a/x.db");
  CHECK(missing.code() == Error::Code::kFailedPrecondition);
  CHECK_THAT(missing.message(), Catch::Contains("does not exist"));
}

TEST_CASE("a file that is not a database is data_loss, and is left untouched",
          "[storage][bad-input]") {
  testing::TempDir dir;
  const auto path = dir.path() / "corrupt.db";
  const std::string junk = "this is not a SQLite database, just some text that was here\n";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 200; ++i) out << junk;
  }
  const Error e = OpenError("sqlite://" + path.string());
  CHECK(e.code() == Error::Code::kDataLoss);
  CHECK_THAT(e.message(), Catch::Contains("not a SQLite database or is corrupt"));
  std::ifstream in(path, std::ios::binary);
  const std::string first(junk.size(), '\0');
  std::string read(junk.size(), '\0');
  in.read(read.data(), static_cast<std::streamsize>(read.size()));
  CHECK(read == junk);  // nothing was overwritten
}

// Opens a database in a read-only directory and returns the error text ("" on success).
// As root, permission bits do not stop writes, so a child process mounts a read-only tmpfs
// in a private mount namespace; otherwise plain chmod does.
std::string OpenInReadOnlyDir(const std::filesystem::path& dir) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    if (geteuid() == 0) {
      if (unshare(CLONE_NEWNS) != 0 ||
          mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount("tmpfs", dir.c_str(), "tmpfs", MS_RDONLY, "size=1m") != 0) {
        out = "setup failed";
      }
    } else {
      chmod(dir.c_str(), 0555);
    }
    if (out.empty()) {
      auto s = BackendRegistry::WithBuiltins().OpenStorage(
          "sqlite://" + (dir / "db.sqlite").string(), {});
      out = s ? "" : s.error().ToString();
    }
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string result;
  char buf[512];
  ssize_t n = 0;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) result.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  chmod(dir.c_str(), 0755);
  return result;
}

TEST_CASE("a read-only database directory is permission_denied with the reason",
          "[storage][bad-input]") {
  testing::TempDir dir;
  const std::string error = OpenInReadOnlyDir(dir.path());
  REQUIRE(error != "setup failed");
  CHECK_THAT(error, Catch::StartsWith("permission_denied") && Catch::Contains("read-only"));
}

TEST_CASE("an unreachable PostgreSQL is unavailable with libpq's reason", "[storage][bad-input]") {
  const Error e = OpenError("postgres://codeyard:hunter2@127.0.0.1:1/codeyard");
  CHECK(e.code() == Error::Code::kUnavailable);
  CHECK_THAT(e.message(), Catch::Contains("127.0.0.1"));
  CHECK_THAT(e.message(), !Catch::Contains("hunter2"));  // never leak the password
  CHECK(OpenError("postgres://u@127.0.0.1:1/db?pool_size=0").code() ==
        Error::Code::kInvalidArgument);
}

TEST_CASE("SQLite refuses a nested write transaction on one thread instead of deadlocking",
          "[storage][bad-input]") {
  testing::TempDir dir;
  auto s = testing::OpenOrDie("sqlite://" + (dir.path() / "n.db").string());
  auto outer = s->Begin(TxKind::kWrite);
  REQUIRE(outer);
  auto inner = s->Begin(TxKind::kWrite);
  REQUIRE_FALSE(inner);
  CHECK(inner.error().code() == Error::Code::kFailedPrecondition);
  (*outer)->Rollback();
  CHECK(s->Begin(TxKind::kWrite));  // free again
}

TEST_CASE("an in-memory SQLite database works and is private to its Storage", "[storage]") {
  Options a;
  a.storage_uri = "sqlite::memory:";
  Options b = a;
  auto pa = Platform::Open(a);
  auto pb = Platform::Open(b);
  REQUIRE(pa);
  REQUIRE(pb);
  CHECK((*pa)->Ping());
  auto tx = (*pa)->storage().Begin(TxKind::kWrite);
  REQUIRE(tx);
  REQUIRE((*tx)->Exec("CREATE TABLE only_in_a (x BIGINT)", {}));
  REQUIRE((*tx)->Commit());
  auto txb = (*pb)->storage().Begin(TxKind::kRead);
  REQUIRE(txb);
  CHECK_FALSE((*txb)->Query("SELECT x FROM only_in_a", {}));
}

}  // namespace
}  // namespace codeyard
