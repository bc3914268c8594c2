// fault21 (issue 21, "Fault injection with nothing lost"): storage faults at every statement,
// as SQLite's I/O-error tests do. Each service operation of the list (the first fourteen below,
// the rest in storage_faults_cases_test.cpp) runs again and again over a StorageWrapper that
// fails the k-th storage call the operation makes (Begin, Query, Exec, Commit) and every later
// one, for k = 1, 2, ... until k passes the operation's last statement and it succeeds. Three
// faults: an unexpected error (kInternal), a busy database (kUnavailable) and a statement
// timeout (kDeadlineExceeded). Each failed run must return an error (not crash, not report
// success) carrying the storage's code, and leave every table exactly as it was before the
// run, but for what its Case says it may leave (a lease, a sync pass's stored change); the run
// with no fault must succeed. Only the test's own thread is counted and failed (a service's
// background threads see a healthy storage); the workspaces' background rounds (lease
// renewal, usage sampling, the idle stop) run on the test's thread in a test of their own
// (storage_faults_rounds_test.cpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/backend/storage_wrapper.hpp"
#include "services/storage_faults.hpp"
#include "services/workspace_world.hpp"

namespace codeyard::storage_faults {

using Code = Error::Code;
using testing::Must;

namespace {

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
// A case's Case::normalize is applied to each line (an empty line is left out).
std::vector<std::string> Dump(Storage& storage, const Case& c) {
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
  if (c.normalize) {
    std::vector<std::string> kept;
    for (auto& line : lines) {
      if (auto normal = c.normalize(line); !normal.empty()) kept.push_back(std::move(normal));
    }
    lines = std::move(kept);
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

// Runs `op` failing at call k = 1, 2, ... (with `code`) until it runs clean; returns how many
// runs were faulted.
int64_t FaultEveryCall(FaultyDatabase& db, const Case& c, Code code,
                       const std::function<Result<void>()>& op) {
  FaultPlan& plan = db.faulty().plan;
  // Each failed run must leave exactly this (it FAILs otherwise), and nothing else writes
  // between runs (no service's background thread is started): taken once. A sync pass
  // (Case::pass) may have stored its one change: then that state is the next run's start, and
  // it must be the clean run's.
  auto before = Dump(db.healthy(), c);
  std::vector<std::pair<int64_t, std::vector<std::string>>> stored;  // by a pass, at call k
  for (int64_t k = 1;; ++k) {
    INFO(c.name << ", fault " << CodeName(code) << " from storage call " << k);
    REQUIRE(k < 500);
    plan.Arm(k, code);
    const Result<void> r = op();
    plan.Disarm();
    INFO("the first failed call: " << plan.first);
    if (plan.failed == 0) {  // k is past the last call: the clean run
      if (!r) FAIL("the clean run failed: " << r.error().ToString());
      if (!stored.empty()) {
        const auto clean = Dump(db.healthy(), c);
        for (const auto& [at, state] : stored) {
          INFO("a pass failing at storage call " << at << " stored its change");
          if (state != clean) FAIL("not as the clean run stores it:" << Diff(clean, state));
        }
      }
      return k - 1;
    }
    if (r && plan.failed <= c.best_effort) return k;  // see Case::best_effort
    if (r) FAIL("reported success although storage call " << k << " of it failed");
    INFO(r.error().ToString());
    CHECK(r.error().code() == code);
    if (plan.writes == 0) continue;  // no write committed: nothing to compare
    auto after = Dump(db.healthy(), c);
    if (after != before && c.pass) {
      stored.emplace_back(k, after);
      before = std::move(after);
    } else if (after != before) {
      FAIL("left partial state:" << Diff(before, after));
    }
  }
}

}  // namespace

World::World(std::unique_ptr<testing::TestDatabase> inner)
    : db(new FaultyDatabase(std::move(inner))),
      reviews(std::unique_ptr<testing::TestDatabase>(db)) {
  auto platform = reviews.platform();
  AccountsOptions accounts_options;
  accounts_options.secret = "q8Zr2LmX7vTn4WcJ0yHbE5sKdP1gA9uF6oRiY3eN";
  accounts_options.password_cost = kPasswordCostMinimum;
  // A login is counted before its password is checked (limits.hpp), so each faulted login is
  // one more attempt of its account and the fifth would lock the clean run out: the limit's
  // own suites test it.
  accounts_options.limits.login_failures_per_account.max = 0;
  accounts = std::make_shared<Accounts>(platform, accounts_options);
  orgs = std::make_unique<Orgs>(platform);
  executor = testing::OpenLocalExecutor("cy-faults-", &state_dir);
  WorkspaceOptions workspace_options;
  workspace_options.replica_id = "faults";
  workspace_options.lease_renew = std::chrono::milliseconds(0);
  workspace_options.usage_sample = std::chrono::milliseconds(0);
  workspace_options.sync_debounce = std::chrono::milliseconds(0);  // a terminal's pass at once
  workspace_options.memory_capacity_bytes = uint64_t{1} << 40;     // reserved, never used
  workspaces = std::make_shared<Workspaces>(platform, executor, workspace_options);
  runner = Must(Runner::Create(executor, RunnerOptions{}));
  JobsOptions jobs_options;
  jobs_options.replica_id = "faults";
  jobs = std::make_shared<Jobs>(platform, runner, jobs_options);
  problems = std::make_shared<Problems>(platform);
  Must(Submissions::RegisterGradeKind(*jobs, problems, runner));
  submissions = std::make_unique<Submissions>(platform, jobs, problems);
  AdminOptions admin_options;
  admin_options.replica_id = "faults";
  admin = std::make_unique<Admin>(platform, accounts, workspaces, jobs, admin_options);
  settings = std::make_unique<Settings>(platform);
}

World::~World() {
  admin.reset();
  submissions.reset();
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

JobSubmission Hello() {
  JobSubmission s;
  s.run.language = "python";
  s.run.files = {FileData{"main.py", FileKind::kFile, "print(1)\n", 0644, std::nullopt}};
  return s;
}

namespace {

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
  AddAccountCases(w, cases);
  AddContentCases(w, cases);
  AddReadCases(w, cases);
  return cases;
}

TEMPLATE_TEST_CASE(
    "storage faults at every statement: each operation fails clearly and "
    "leaves no partial state",
    "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  const Code faults[] = {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded};
  const auto cases = Cases(w);
  int64_t faulted = 0;
  for (const auto& c : cases) {
    for (int variant = 0; variant < 3; ++variant) {
      const int64_t n = FaultEveryCall(*w.db, c, faults[variant], c.prepare(variant));
      INFO(c.name);
      CHECK(n >= 1);
      faulted += n;
    }
  }
  // With -s: the figures docs/reliability.md quotes.
  WARN(cases.size() << " operations, " << faulted << " faulted runs");
}

}  // namespace
}  // namespace codeyard::storage_faults
