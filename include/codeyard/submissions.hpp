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
  Submissions(std::shared_ptr<Jobs> jobs, std::shared_ptr<Problems> problems);

  // Registers the "grade" kind on the queue (before jobs.Start()): the handler grades over
  // `runner`.
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

 private:
  std::shared_ptr<Jobs> jobs_;
  std::shared_ptr<Problems> problems_;
};

}  // namespace codeyard
