// fault21 (issue 21, "Fault injection with nothing lost"): storage faults at every statement,
// as SQLite's I/O-error tests do. Each service operation of the list below runs again and again
// over a StorageWrapper that fails the k-th storage call the operation makes (Begin, Query,
// Exec, Commit) and every later one, for k = 1, 2, ... until k passes the operation's last
// statement and it succeeds. Three faults: an unexpected error (kInternal), a busy database
// (kUnavailable) and a statement timeout (kDeadlineExceeded). Each failed run must return an
// error (not crash, not report success) carrying the storage's code, and leave every table
// exactly as it was before the run; the run with no fault must succeed. Only the test's own
// thread is counted and failed (a service's background threads see a healthy storage).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/backend/storage_wrapper.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/orgs.hpp"
#include "codeyard/run.hpp"
#include "codeyard/workspaces.hpp"
#include "services/reviews_world.hpp"
#include "services/workspace_world.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using testing::Must;

// Which storage calls of the armed thread fail: the `fail_at`-th and every one after it.
struct FaultPlan {
  std::atomic<bool> armed{false};
  std::thread::id thread;
  int64_t fail_at = 0;
  Code code = Code::kInternal;
  int64_t calls = 0;   // counted while armed, on `thread`
  int64_t failed = 0;  // of which failed

  // The error this call must return, if any.
  std::optional<Error> Next() {
    if (!armed.load() || std::this_thread::get_id() != thread) return std::nullopt;
    if (++calls < fail_at) return std::nullopt;
    ++failed;
    return Error(code, "injected storage fault at call " + std::to_string(calls));
  }
};

class FaultyTransaction final : public TransactionWrapper {
 public:
  FaultyTransaction(std::unique_ptr<Transaction> target, FaultPlan& plan)
      : TransactionWrapper(std::move(target)), plan_(plan) {}
  using TransactionWrapper::Exec;
  using TransactionWrapper::Query;
  Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    if (auto e = plan_.Next()) return Fail(*e);
    return TransactionWrapper::Query(sql, params);
  }
  Result<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    if (auto e = plan_.Next()) return Fail(*e);
    return TransactionWrapper::Exec(sql, params);
  }
  Result<void> Commit() override {
    if (auto e = plan_.Next()) return Fail(*e);
    return TransactionWrapper::Commit();
  }

 private:
  FaultPlan& plan_;
};

class FaultyStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    if (auto e = plan.Next()) return Fail(*e);
    auto tx = StorageWrapper::Begin(kind);
    if (!tx) return tx;
    return std::make_unique<FaultyTransaction>(std::move(*tx), plan);
  }
  FaultPlan plan;
};

// A TestDatabase whose storage is a FaultyStorage over another's, so the suites' worlds can be
// built on it unchanged.
class FaultyDatabase final : public testing::TestDatabase {
 public:
  explicit FaultyDatabase(std::unique_ptr<testing::TestDatabase> inner)
      : inner_(std::move(inner)), faulty_(std::make_shared<FaultyStorage>(inner_->shared())) {
    storage_ = faulty_;
  }
  [[nodiscard]] std::string uri() const override { return inner_->uri(); }
  [[nodiscard]] FaultyStorage& faulty() const { return *faulty_; }
  [[nodiscard]] Storage& healthy() const { return inner_->storage(); }

 private:
  std::unique_ptr<testing::TestDatabase> inner_;
  std::shared_ptr<FaultyStorage> faulty_;
};

std::string Show(const Value& v) {
  struct {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return std::to_string(d); }
    std::string operator()(const std::string& s) const { return "'" + s + "'"; }
    std::string operator()(const Blob& b) const {
      return "x" + std::to_string(b.bytes.size()) + ":" + b.bytes;
    }
  } show;
  return std::visit(show, v);
}

// A limiter counts attempts, failed ones too (as a login limit counts wrong passwords): its
// windows are not data an operation leaves half-done.
bool Compared(const std::string& table) { return table != "rate_limits"; }

// Every row of every table, one line per row, sorted. On PostgreSQL one
// query does it all (each table's rows as text), a round trip per table costing too much.
std::vector<std::string> Dump(Storage& storage) {
  auto tx = Must(storage.Begin(TxKind::kRead));
  const bool sqlite = storage.Info().backend == "sqlite";
  auto tables = Must(tx->Query(
      sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
             : "SELECT table_name FROM information_schema.tables WHERE table_schema = "
               "current_schema() AND table_type = 'BASE TABLE'",
      {}));
  std::vector<std::string> names;
  for (const auto& row : tables) {
    if (auto name = Must(row.Text(0)); Compared(name)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> lines;
  if (!sqlite) {
    std::string sql;
    for (const auto& name : names) {
      sql += std::string(sql.empty() ? "" : " UNION ALL ") + "SELECT '" + name +
             ": ' || x::text FROM " + name + " x";
    }
    for (const auto& row : Must(tx->Query(sql, {}))) lines.push_back(Must(row.Text(0)));
  } else {
    for (const auto& name : names) {
      for (const auto& row : Must(tx->Query("SELECT * FROM " + name, {}))) {
        std::string line = name + ":";
        for (std::size_t i = 0; i < row.size(); ++i) line += " " + Show(row.at(i));
        lines.push_back(std::move(line));
      }
    }
  }
  std::sort(lines.begin(), lines.end());  // Diff looks lines up by binary search
  tx->Rollback();
  return lines;
}

// What differs between two dumps, for the failure message.
std::string Diff(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::string out;
  for (const auto& line : before) {
    if (!std::binary_search(after.begin(), after.end(), line)) out += "\n  - " + line;
  }
  for (const auto& line : after) {
    if (!std::binary_search(before.begin(), before.end(), line)) out += "\n  + " + line;
  }
  return out.substr(0, 4000);
}

template <class T>
Result<void> Done(const Result<T>& r) {
  if (!r) return Fail(r.error());
  return {};
}

// One operation: `prepare(variant)` runs with a healthy storage and returns the call to fault
// (a distinct variant for each fault kind, so each starts from its own fresh state).
struct Case {
  std::string name;
  std::function<std::function<Result<void>()>(int variant)> prepare;
};

// Runs `op` failing at call k = 1, 2, ... (with `code`) until it runs clean; returns how many
// storage calls it makes.
int64_t FaultEveryCall(FaultyDatabase& db, const std::string& name, Code code,
                       const std::function<Result<void>()>& op) {
  FaultPlan& plan = db.faulty().plan;
  for (int64_t k = 1;; ++k) {
    INFO(name << ", fault " << CodeName(code) << " from storage call " << k);
    const auto before = Dump(db.healthy());
    plan.thread = std::this_thread::get_id();
    plan.fail_at = k;
    plan.code = code;
    plan.calls = plan.failed = 0;
    plan.armed = true;
    const Result<void> r = op();
    plan.armed = false;
    if (plan.failed == 0) {  // k is past the last call: the clean run
      if (!r) FAIL("the clean run failed: " << r.error().ToString());
      return plan.calls;
    }
    if (r) FAIL("reported success although storage call " << k << " of it failed");
    INFO(r.error().ToString());
    CHECK(r.error().code() == code);
    const auto after = Dump(db.healthy());
    if (after != before) FAIL("left partial state:" << Diff(before, after));
    REQUIRE(k < 500);
  }
}

struct World {
  explicit World(std::unique_ptr<testing::TestDatabase> inner)
      : db(new FaultyDatabase(std::move(inner))),
        reviews(std::unique_ptr<testing::TestDatabase>(db)) {
    auto platform = reviews.platform();
    AccountsOptions accounts_options;
    accounts_options.secret = "q8Zr2LmX7vTn4WcJ0yHbE5sKdP1gA9uF6oRiY3eN";
    accounts_options.password_cost = kPasswordCostMinimum;
    accounts = std::make_unique<Accounts>(platform, accounts_options);
    orgs = std::make_unique<Orgs>(platform);
    executor = testing::OpenLocalExecutor("cy-faults-", &state_dir);
    workspaces = std::make_unique<Workspaces>(platform, executor, WorkspaceOptions{});
    runner = Must(Runner::Create(executor, RunnerOptions{}));
    JobsOptions jobs_options;
    jobs_options.replica_id = "faults";
    jobs = std::make_unique<Jobs>(platform, runner, jobs_options);
  }
  ~World() {
    jobs.reset();
    runner.reset();
    workspaces.reset();
    for (const auto& info : executor->ListPods({}).value_or(std::vector<PodInfo>{})) {
      (void)executor->DeletePod(info.id);
    }
    executor.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
  }

  FaultyDatabase* db;  // owned by `reviews`
  testing::ReviewWorld reviews;
  std::unique_ptr<Accounts> accounts;
  std::unique_ptr<Orgs> orgs;
  std::filesystem::path state_dir;
  std::shared_ptr<Executor> executor;
  std::unique_ptr<Workspaces> workspaces;
  std::shared_ptr<Runner> runner;
  std::unique_ptr<Jobs> jobs;
};

JobSubmission Hello() {
  JobSubmission s;
  s.run.language = "python";
  s.run.files = {FileData{"main.py", FileKind::kFile, "print(1)\n", 0644, std::nullopt}};
  return s;
}

std::vector<Case> Cases(World& w) {
  auto& rw = w.reviews;
  const std::string author = rw.author;
  const std::string ws = rw.ws;
  std::vector<Case> cases;
  auto add = [&](std::string name, auto prepare) { cases.push_back({std::move(name), prepare}); };
  add("register", [&w](int v) {
    return [&w, v] {
      return Done(
          w.accounts->Register({"fresh" + std::to_string(v), "correct horse", "", Role::kUser}));
    };
  });
  add("create workspace", [&w, author](int v) {
    return
        [&w, author, v] { return Done(w.workspaces->Create(author, "new" + std::to_string(v))); };
  });
  add("write a new file", [&rw, author, ws](int v) {
    return [&rw, author, ws, v] {
      return Done(rw.files().Write(author, ws, "d" + std::to_string(v) + "/new.txt", "new\n"));
    };
  });
  add("overwrite a file", [&rw, author, ws](int v) {
    return [&rw, author, ws, v] {
      return Done(rw.files().Write(author, ws, "main.py", "v" + std::to_string(v) + "\n"));
    };
  });
  add("delete a folder", [&rw, author, ws](int v) {
    const std::string dir = "gone" + std::to_string(v);
    Must(rw.files().Write(author, ws, dir + "/a.txt", "a"));
    Must(rw.files().Write(author, ws, dir + "/b/c.txt", "c"));
    return [&rw, author, ws, dir] { return rw.files().Delete(author, ws, dir); };
  });
  add("move a file", [&rw, author, ws](int v) {
    const std::string from = "m" + std::to_string(v) + ".txt";
    Must(rw.files().Write(author, ws, from, "m"));
    return [&rw, author, ws, from] {
      return Done(rw.files().Move(author, ws, from, from + ".moved"));
    };
  });
  add("submit a job", [&w, author](int) {
    return [&w, author] { return Done(w.jobs->Submit(author, {Hello()})); };
  });
  add("complete a job (an admin's cancel)", [&w, author](int) {
    const std::string id = Must(w.jobs->Submit(author, {Hello()})).ids.at(0);
    return [&w, id] {
      return Done(w.jobs->Cancel(id, [](Transaction&, const Job&) -> Result<void> { return {}; }));
    };
  });
  add("submit a review", [&rw, author, ws](int v) {
    return [&rw, author, ws, v] {
      return Done(rw.reviews().Create(author, {ws, "r" + std::to_string(v), "d", {}, 1}));
    };
  });
  add("claim a review", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, "c" + std::to_string(v)).id;
    return [&rw, id] { return Done(rw.reviews().Claim(rw.r1, id)); };
  });
  add("decide a review", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, "d" + std::to_string(v)).id;
    Must(rw.reviews().Claim(rw.r1, id));
    return
        [&rw, id] { return Done(rw.reviews().Decide(rw.r1, id, ReviewDecision::kReject, "no")); };
  });
  add("comment on a review", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, "k" + std::to_string(v)).id;
    return [&rw, id] {
      NewComment comment;
      comment.body = "looks odd";
      return Done(rw.reviews().AddComment(rw.author, id, comment));
    };
  });
  add("create an organization", [&w, author](int v) {
    return [&w, author, v] {
      return Done(w.orgs->Create(author, "Org " + std::to_string(v), "org" + std::to_string(v)));
    };
  });
  add("add an organization member", [&w, author, &rw](int v) {
    const std::string slug = "club" + std::to_string(v);
    Must(w.orgs->Create(author, "Club " + std::to_string(v), slug));
    return [&w, author, slug, &rw] {
      return Done(w.orgs->AddMember(author, slug, rw.r2, OrgRole::kMember));
    };
  });
  return cases;
}

TEMPLATE_TEST_CASE(
    "storage faults at every statement: each operation fails clearly and "
    "leaves no partial state",
    "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  const Code faults[] = {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded};
  for (const auto& c : Cases(w)) {
    for (int variant = 0; variant < 3; ++variant) {
      const int64_t n = FaultEveryCall(*w.db, c.name, faults[variant], c.prepare(variant));
      INFO(c.name);
      CHECK(n >= 1);
    }
  }
}

}  // namespace
}  // namespace codeyard
