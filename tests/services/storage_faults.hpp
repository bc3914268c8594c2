// fault21: what the storage-faults tests (storage_faults_test.cpp, its list of operations in
// storage_faults_cases_test.cpp, and the background rounds in storage_faults_rounds_test.cpp)
// share: the faulty storage, the world every operation runs in and the shape of one case. The
// operations' harness (the dumps, the loop over k) stays in storage_faults_test.cpp.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/admin.hpp"
#include "codeyard/backend/storage_wrapper.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/orgs.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/run.hpp"
#include "codeyard/settings.hpp"
#include "codeyard/submissions.hpp"
#include "codeyard/workspaces.hpp"
#include "services/reviews_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::storage_faults {

using Code = Error::Code;

// Which storage calls of the armed thread fail: the `fail_at`-th and every one after it. Or of
// every thread (`on_any_thread`), for a round a background thread runs; the test's thread then
// makes no storage call while armed.
struct FaultPlan {
  std::atomic<bool> armed{false};
  std::thread::id thread;
  bool any_thread = false;
  int64_t fail_at = 0;
  Code code = Code::kInternal;
  std::atomic<int64_t> calls{0};   // counted while armed, on `thread`
  std::atomic<int64_t> failed{0};  // of which failed
  std::string first;               // the first failed call: "Begin", "Commit" or its SQL
  // Commits sent to the database while armed, on any thread, of transactions that ran a
  // statement other than a SELECT: with none, nothing can have changed (every write is in a
  // transaction), and the run's state need not be read back.
  std::atomic<int64_t> writes{0};

  // Fails the calling thread's (or any thread's) `fail_at`-th storage call and every later
  // one, with `code`, counting afresh; Disarm() ends it.
  void Arm(int64_t at, Code with, bool on_any_thread = false) {
    thread = std::this_thread::get_id();
    any_thread = on_any_thread;
    fail_at = at;
    code = with;
    calls = 0;
    failed = 0;
    writes = 0;
    first.clear();
    armed = true;
  }
  void Disarm() { armed = false; }

  // The error call `what` must return, if any.
  std::optional<Error> Next(std::string_view what) {
    if (!armed.load() || (!any_thread && std::this_thread::get_id() != thread)) {
      return std::nullopt;
    }
    const int64_t call = ++calls;
    if (call < fail_at) return std::nullopt;
    if (failed++ == 0) first = what.substr(0, 200);
    return Error(code, "injected storage fault at call " + std::to_string(call));
  }
};

class FaultyTransaction final : public TransactionWrapper {
 public:
  FaultyTransaction(std::unique_ptr<Transaction> target, FaultPlan& plan)
      : TransactionWrapper(std::move(target)), plan_(plan) {}
  using TransactionWrapper::Exec;
  using TransactionWrapper::Query;
  Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    if (auto e = plan_.Next(sql)) return Fail(*e);
    if (!sql.starts_with("SELECT ")) wrote_ = true;  // WITH ... may write, RETURNING does
    return TransactionWrapper::Query(sql, params);
  }
  Result<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    if (auto e = plan_.Next(sql)) return Fail(*e);
    wrote_ = true;
    return TransactionWrapper::Exec(sql, params);
  }
  Result<void> Commit() override {
    if (auto e = plan_.Next("Commit")) return Fail(*e);
    if (wrote_ && plan_.armed.load()) ++plan_.writes;
    return TransactionWrapper::Commit();
  }

 private:
  FaultPlan& plan_;
  bool wrote_ = false;
};

class FaultyStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    if (auto e = plan.Next("Begin")) return Fail(*e);
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

template <class T>
Result<void> Done(const Result<T>& r) {
  if (!r) return Fail(r.error());
  return {};
}

// One operation: `prepare(variant)` runs with a healthy storage and returns the call to fault
// (a distinct variant for each fault kind, so each starts from its own fresh state).
// `normalize`, when set, rewrites each line of the dumps compared (one row: its table's name,
// then its columns), an empty line leaving the row out: what the call may legitimately leave
// changed although it fails, with the reason where the case is made. rate_limits is never
// compared (a limiter counts attempts, failed ones too).
struct Case {
  std::string name;
  std::function<std::function<Result<void>()>(int variant)> prepare;
  std::function<std::string(const std::string& line)> normalize{};
  // A sync pass, which stores each change of the pod in a transaction of its own (the next
  // pass takes up the rest): a failed run may leave its one change stored, whole, exactly as
  // the clean run stores it. The command of such a case makes one change.
  bool pass = false;
  // When a call ends with a best-effort write whose failure it logs and shrugs off (an exec's
  // activity stamp), a run whose failed calls are no more than these, all at the end, may
  // succeed: the loop ends there.
  int64_t best_effort = 0;
};

// Every service over one FaultyDatabase (of the ReviewWorld), with a real local executor.
struct World {
  explicit World(std::unique_ptr<testing::TestDatabase> inner);
  ~World();

  FaultyDatabase* db;  // owned by `reviews`
  testing::ReviewWorld reviews;
  std::shared_ptr<Accounts> accounts;
  std::unique_ptr<Orgs> orgs;
  std::filesystem::path state_dir;
  std::shared_ptr<Executor> executor;
  std::shared_ptr<Workspaces> workspaces;
  std::shared_ptr<Runner> runner;
  std::shared_ptr<Jobs> jobs;
  std::unique_ptr<Admin> admin;
  std::unique_ptr<Settings> settings;
  std::shared_ptr<Problems> problems;
  std::unique_ptr<Submissions> submissions;
};

// A run job of one small Python file.
JobSubmission Hello();

// The operations past the first list, in the order they run: accounts and administration; then
// workspaces and their pods, files, reviews, organizations, settings, problems and
// submissions; then reads (storage_faults_cases_test.cpp).
void AddAccountCases(World& w, std::vector<Case>& cases);
void AddContentCases(World& w, std::vector<Case>& cases);
// Reads: they fail as clearly and change nothing.
void AddReadCases(World& w, std::vector<Case>& cases);

}  // namespace codeyard::storage_faults
