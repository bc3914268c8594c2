// Problems: the stored problem set. Admins create, replace and delete problems; everyone
// reads the public part of the public ones (statement, assets, starter code, tags, limits,
// public tests, and how answers are checked, without the checker's or interactor's source),
// listed with filters (level, topic) in keyset pages. Hidden tests never leave through a
// caller's read: only ForGrading, which the grader calls on the caller's behalf, returns them.
// The caller's role is read from the users table in the call's own transaction, as for
// reviews. Test data is stored as content blobs, so equal inputs and outputs are stored once.
//
// Threading: every method is safe from any thread at once; state is in storage.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/problems.hpp"

namespace codeyard {

class Platform;

// A problem as everyone may see it.
struct PublicProblem {
  Problem problem;           // hidden tests removed; checker and interactor without programs
  int64_t hidden_tests = 0;  // how many tests are hidden
  double max_score = 0;      // MaxScore over every test, hidden included
};

struct ProblemSummary {
  std::string id;
  std::string title;
  ProblemTags tags;
  bool is_public = true;
  int64_t public_tests = 0;
  int64_t hidden_tests = 0;
  int64_t updated_at = 0;
};

struct ProblemListRequest {
  PageRequest page;                  // cursor: the last id of the previous page
  std::optional<int> level;          // only this level
  std::optional<std::string> topic;  // only problems with this topic
};

class Problems {
 public:
  explicit Problems(std::shared_ptr<Platform> platform);

  // Admin only (kPermissionDenied otherwise): validates (ValidateProblem) and stores the
  // problem, replacing every part of one with the same id; returns it as stored (timestamps).
  [[nodiscard]] Result<Problem> Put(std::string_view caller_id, Problem problem);
  // The same for a tool that holds the storage itself (the CLI's import): whoever can open
  // the storage can write it anyway, so there is no caller to check.
  [[nodiscard]] Result<Problem> PutAsOperator(Problem problem);
  // Admin only. kNotFound when absent.
  [[nodiscard]] Result<void> Delete(std::string_view caller_id, std::string_view id);

  // Everyone (an empty caller is an anonymous reader): the public part. A problem that is not
  // public is kNotFound except for admins.
  [[nodiscard]] Result<PublicProblem> Get(std::string_view caller_id, std::string_view id);
  [[nodiscard]] Result<Page<ProblemSummary>> List(std::string_view caller_id,
                                                  const ProblemListRequest& request);
  // Every problem, private ones included, for a tool that holds the storage (the CLI).
  [[nodiscard]] Result<Page<ProblemSummary>> ListAsOperator(const ProblemListRequest& request);

  // The whole problem with its hidden tests, for the grader and for exports by operators.
  // Never hand it to a submitter.
  [[nodiscard]] Result<Problem> ForGrading(std::string_view id);

 private:
  [[nodiscard]] Result<bool> IsAdmin(std::string_view caller_id);
  [[nodiscard]] Result<Page<ProblemSummary>> ListPage(const ProblemListRequest& request,
                                                      bool include_private);
  std::shared_ptr<Platform> platform_;
};

}  // namespace codeyard
