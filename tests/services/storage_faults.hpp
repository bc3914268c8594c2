// fault21: what the storage-faults test (storage_faults_test.cpp) and its list of operations
// (storage_faults_cases_test.cpp) share: the world every operation runs in and the shape of
// one case. The harness (the faulty storage, the dumps, the loop over k) stays in
// storage_faults_test.cpp.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codeyard/accounts.hpp"
#include "codeyard/admin.hpp"
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

class FaultyDatabase;  // storage_faults_test.cpp

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
