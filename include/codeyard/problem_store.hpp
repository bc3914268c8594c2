// Problems: the stored problem set. Admins create, replace and delete problems; everyone
// reads the public part of the public ones (statement, assets, starter code, tags, limits,
// public tests, and how answers are checked, without the checker's or interactor's source),
// listed with filters (level, topic, solved by the caller) in keyset pages. Hidden tests never
// leave through a caller's read: only ForGrading, which the grader calls on the caller's behalf,
// returns them. The caller's role is read from the users table in the call's own transaction, as
// for reviews. Test data is stored as content blobs, so equal inputs and outputs are stored once.
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
#include "codeyard/problem_packages.hpp"
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
  // Only problems the caller solved (true) or has not solved (false), from their progress.
  std::optional<bool> solved;
};

// The admin API's problem JSON (docs/api.md, "Problem JSON"): the model's fields, with test
// data as strings and statement assets as base64. Every field is checked (type, range, known
// languages, relative asset paths, declared groups) and then ValidateProblem runs; a fault is
// kInvalidArgument naming the field ("problem JSON: tests[2].input is required"). Unknown
// fields are refused; the read-only fields of GET /api/v1/problems/{id} (hidden_tests,
// max_score, created_at, updated_at, progress, interactive, assets[].size) are ignored.
// `path_id`, when given, is the id of the route: the body's id may be left out and must match.
[[nodiscard]] Result<Problem> ProblemFromJson(std::string_view json, std::string_view path_id = {});

// How Problems::Import stores an uploaded package.
struct ProblemImportOptions {
  std::string id;           // empty: the zip's top folder's name (a zip of the package folder)
  double time_limit_s = 0;  // > 0: for a package that fixes none
};

struct ImportedProblem {
  Problem problem;  // as stored
  PackageFormat format = PackageFormat::kKattisLegacy;
};

class Problems {
 public:
  // `images_dir`: where the images a problem may name live (codeyard/images.hpp; the local
  // backend's images.dir). Set, a problem naming an image not there is refused when stored
  // (kInvalidArgument naming it); empty, only the name's syntax is checked.
  explicit Problems(std::shared_ptr<Platform> platform, std::string images_dir = {});

  // Admin only (kPermissionDenied otherwise), or for a problem of an organization (org_id)
  // its owners and admins: validates (ValidateProblem) and stores the problem, replacing every
  // part of one with the same id; returns it as stored (timestamps).
  [[nodiscard]] Result<Problem> Put(std::string_view caller_id, Problem problem);
  // The same for a tool that holds the storage itself (the CLI's import): whoever can open
  // the storage can write it anyway, so there is no caller to check.
  [[nodiscard]] Result<Problem> PutAsOperator(Problem problem);
  // Admin only: as Put, but kAlreadyExists when a problem has the id (nothing is changed).
  [[nodiscard]] Result<Problem> Create(std::string_view caller_id, Problem problem);
  // Admin only: reads `zip` (a Kattis/ICPC package or our folder format, zipped) with the
  // importer of ImportPackage under `caps`, then stores it as Put does. The package must fix
  // its time limit or `options.time_limit_s` must give one (the CLI can compute one by running
  // the accepted submissions; a request cannot wait for that). The upload is written to a
  // private temporary folder and removed before this returns.
  [[nodiscard]] Result<ImportedProblem> Import(std::string_view caller_id, std::string_view zip,
                                               const ProblemImportOptions& options,
                                               const PackageCaps& caps);
  // kPermissionDenied unless the caller is an enabled admin (for a shell that must answer a
  // non-admin before it reads a request's body).
  [[nodiscard]] Result<void> RequireAdmin(std::string_view caller_id);
  // Admin only. kNotFound when absent.
  [[nodiscard]] Result<void> Delete(std::string_view caller_id, std::string_view id);

  // Everyone (an empty caller is an anonymous reader): the public part. A problem that is not
  // public is kNotFound except for admins; one with visibility "org" (Problem::org_only) is
  // kNotFound except for its organization's members and admins.
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
  // Admins change any problem; an organization's owners and admins its own (org_id), never
  // one of another organization or the platform's. kPermissionDenied otherwise.
  [[nodiscard]] Result<void> MayChange(std::string_view caller_id, std::string_view org_id,
                                       std::string_view id);
  [[nodiscard]] Result<Page<ProblemSummary>> ListPage(const ProblemListRequest& request,
                                                      bool include_private,
                                                      std::string_view caller_id);
  // ValidateProblem and, for a named image, that it exists (images_dir_).
  [[nodiscard]] Result<void> Check(const Problem& problem) const;
  std::shared_ptr<Platform> platform_;
  std::string images_dir_;
};

}  // namespace codeyard
