// Submissions (issue 16): a person's solution to a stored problem, graded as a job of kind
// "grade" on the durable queue (codeyard/jobs.hpp), so admission, per-user limits, leases and
// retries are the queue's: there is one path for every one-shot run. The job's payload is the
// problem id, the language and the files; its handler loads the whole problem
// (Problems::ForGrading), runs Grade over the Runner and stores GradeReportToJson(report) as
// the job's result. What a submitter reads back is SubmitterView(report): hidden tests keep
// their name, group, verdict, time and memory only.
//
// Threading: every method is safe from many threads at once; state is in storage. The grade
// handler runs on the queue's worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/grading.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/run.hpp"

namespace codeyard {

inline constexpr std::string_view kGradeJobKind = "grade";

// A submission as its submitter may see it.
struct SubmissionView {
  std::string id;       // the grade job's id
  std::string problem;  // Problem::id
  std::string language;
  JobState state = JobState::kQueued;
  std::string verdict;  // once done: a TestVerdictName ("accepted", "wrong_answer", ...)
  double score = 0;
  double max_score = 0;
  int64_t created_at = 0;
  std::optional<int64_t> finished_at;
  // Once done: SubmitterView of the grade report (tests, groups, compile output). A job the
  // judge could not grade (an error, or no worker finished it) has an empty report and
  // `message` saying why.
  std::optional<GradeReport> report;
  std::string message;
};

// A user's standing on one problem, from their graded submissions (a submission the judge could
// not grade, internal_error, costs no attempt).
struct ProblemProgress {
  std::string problem;
  std::optional<int> level;  // the problem's, while it exists and has one
  int64_t attempts = 0;
  double best_score = 0;
  double max_score = 0;                    // the problem's at the latest graded submission
  bool solved = false;                     // some submission was accepted
  std::optional<int64_t> first_solved_at;  // the first accepted submission's time (ms)
  int64_t last_submitted_at = 0;
};

struct ProgressSummary {
  int64_t attempted = 0;  // problems with at least one graded submission
  int64_t solved = 0;
  double points = 0;  // the sum of best scores
};

struct UserProgress {
  std::vector<ProblemProgress> problems;  // by problem id
  std::map<int, ProgressSummary> levels;  // per level, over problems that have one
  ProgressSummary overall;
};

struct SubmissionListRequest {
  PageRequest page;                    // cursor: as Jobs::List's
  std::optional<std::string> problem;  // only submissions to this problem
};

// The grade job's payload (JSON {"problem","language","files":[{"path","content"}]}).
struct GradeJob {
  std::string problem;
  Submission submission;
};
[[nodiscard]] std::string EncodeGradeJob(const GradeJob& job);
[[nodiscard]] Result<GradeJob> DecodeGradeJob(std::string_view data);

class Submissions {
 public:
  Submissions(std::shared_ptr<Platform> platform, std::shared_ptr<Jobs> jobs,
              std::shared_ptr<Problems> problems);

  // Registers the "grade" kind on the queue (before jobs.Start()): the handler grades over
  // `runner`; its completion hook records progress in the transaction that stores the result,
  // so a submission counts once even when a worker dies and another grades it again.
  [[nodiscard]] static Result<void> RegisterGradeKind(Jobs& jobs,
                                                      std::shared_ptr<Problems> problems,
                                                      std::shared_ptr<Runner> runner);

  // Queues a grading of `files` in `language` against the problem. kNotFound when the problem
  // is not visible to the user (as Problems::Get); language and files are checked as a run
  // job's are (kInvalidArgument); admission and per-user limits are the queue's
  // (kUnavailable, kResourceExhausted, WithLimit).
  [[nodiscard]] Result<Submitted> Submit(std::string_view user_id, std::string_view problem_id,
                                         std::string_view language, std::vector<FileData> files);

  // The user's submission (kNotFound for another's, or a job of another kind). `wait` as
  // Jobs::Get's.
  [[nodiscard]] Result<SubmissionView> Get(std::string_view user_id, std::string_view id,
                                           std::chrono::milliseconds wait = {});

  // The user's submissions, newest first (without test reports).
  [[nodiscard]] Result<Page<SubmissionView>> List(std::string_view user_id,
                                                  const SubmissionListRequest& request);

  // The user's progress: per problem, per level and overall.
  [[nodiscard]] Result<UserProgress> Progress(std::string_view user_id);

 private:
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Jobs> jobs_;
  std::shared_ptr<Problems> problems_;
};

}  // namespace codeyard
