// Submissions: the "grade" job kind and the submitter's reads over the queue.
#include "codeyard/submissions.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <utility>

#include "codeyard/platform.hpp"
#include "core/files/pages.hpp"
#include "core/store/jobs.hpp"
#include "core/store/progress.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"

namespace codeyard {
namespace {

namespace json = boost::json;

Error Corrupt(std::string what) {
  return {Error::Code::kDataLoss, "submissions: the stored " + std::move(what) + " is corrupt"};
}

Result<json::object> ParseObject(std::string_view data, std::string_view what) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;  // file contents are bytes
  boost::system::error_code ec;
  json::value v = json::parse(data, ec, {}, options);
  if (ec || !v.is_object()) return Fail(Corrupt(std::string(what)));
  return std::move(v.as_object());
}

Result<std::string> StringField(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return Fail(Corrupt("grade job field " + std::string(name)));
  return std::string(v->get_string());
}

}  // namespace

std::string EncodeGradeJob(const GradeJob& job) {
  json::array files;
  for (const FileData& f : job.submission.files) {
    files.push_back(json::object{{"path", f.path}, {"content", f.content}});
  }
  return json::serialize(json::object{{"problem", job.problem},
                                      {"language", job.submission.language},
                                      {"files", std::move(files)}});
}

Result<GradeJob> DecodeGradeJob(std::string_view data) {
  CY_TRY(const json::object o, ParseObject(data, "grade job"));
  GradeJob job;
  CY_TRY(job.problem, StringField(o, "problem"));
  CY_TRY(job.submission.language, StringField(o, "language"));
  const json::value* files = o.if_contains("files");
  if (files == nullptr || !files->is_array()) return Fail(Corrupt("grade job's files"));
  for (const json::value& f : files->get_array()) {
    if (!f.is_object()) return Fail(Corrupt("grade job's files"));
    FileData file;
    CY_TRY(file.path, StringField(f.get_object(), "path"));
    CY_TRY(file.content, StringField(f.get_object(), "content"));
    job.submission.files.push_back(std::move(file));
  }
  return job;
}

Submissions::Submissions(std::shared_ptr<Platform> platform, std::shared_ptr<Jobs> jobs,
                         std::shared_ptr<Problems> problems)
    : platform_(std::move(platform)), jobs_(std::move(jobs)), problems_(std::move(problems)) {}

Result<void> Submissions::RegisterGradeKind(Jobs& jobs, std::shared_ptr<Problems> problems,
                                            std::shared_ptr<Runner> runner) {
  return jobs.Register(
      std::string(kGradeJobKind),
      [problems = std::move(problems),
       runner = std::move(runner)](const Job& job) -> Result<JobOutcome> {
        CY_TRY(const GradeJob grade, DecodeGradeJob(job.payload));
        // Loaded when the job runs, not when it was queued: an admin's fix to a problem
        // applies to the submissions still waiting.
        CY_TRY(const Problem problem, problems->ForGrading(grade.problem));
        // Usage: what the executor reported for the compile step (meter20) and each test's
        // run, summed.
        JobUsage used;
        GradeOptions options;
        options.compiled = [&used](const ExitStatus& compiler) { usage::AddUsage(used, compiler); };
        CY_TRY(const GradeReport report, Grade(*runner, problem, grade.submission, options));
        for (const TestReport& t : report.tests) {
          used.cpu_ms += t.time_ms;
          used.wall_ms += t.wall_ms;
          used.peak_memory_bytes = std::max<uint64_t>(used.peak_memory_bytes, t.memory_kb * 1024);
        }
        return JobOutcome{std::string(TestVerdictName(report.verdict)), GradeReportToJson(report),
                          used};
      },
      [](Transaction& tx, const Job& job, const JobOutcome& outcome) -> Result<void> {
        // A job finished without a report (the handler failed, or the queue gave up on it)
        // or a judge failure is not the person's attempt.
        auto report = GradeReportFromJson(outcome.data);
        if (!report || report->verdict == TestVerdict::kInternalError) return {};
        CY_TRY(const GradeJob grade, DecodeGradeJob(job.payload));
        return store::progress::Record(tx, job.owner_id, grade.problem, report->score,
                                       report->max_score, report->verdict == TestVerdict::kAccepted,
                                       job.created_at);
      });
}

Result<Submitted> Submissions::Submit(std::string_view user_id, std::string_view problem_id,
                                      std::string_view language, std::vector<FileData> files) {
  // Visible to this user, or it does not exist for them.
  CY_TRY(const PublicProblem visible, problems_->Get(user_id, problem_id));
  RunJob run;
  run.language = std::string(language);
  run.files = std::move(files);
  // The same rules as a run job's files and language, so both paths refuse the same requests.
  CY_TRY(const RunRequest checked, jobs_->ToRunRequest(run));
  GradeJob grade;
  grade.problem = std::string(problem_id);
  grade.submission.language =
      checked.language ? std::string(LanguageName(*checked.language)) : run.language;
  grade.submission.files = std::move(run.files);
  JobSubmission submission;
  submission.kind = std::string(kGradeJobKind);
  submission.payload = EncodeGradeJob(grade);
  submission.problem_id = grade.problem;
  submission.image = visible.problem.image;  // what the grader will run it on, for the job's JSON
  // A problem only its organization sees counts against that organization's job quotas.
  if (visible.problem.org_only) submission.org_id = visible.problem.org_id;
  std::vector<JobSubmission> batch;
  batch.push_back(std::move(submission));
  return jobs_->Submit(user_id, std::move(batch));
}

namespace {

Result<SubmissionView> ViewOf(const Job& job) {
  if (job.kind != kGradeJobKind) {
    return Fail(Error::Code::kNotFound, "submissions: no submission " + job.id);
  }
  SubmissionView view;
  view.id = job.id;
  view.state = job.state;
  view.created_at = job.created_at;
  view.finished_at = job.finished_at;
  if (!job.payload.empty()) {
    CY_TRY(const GradeJob grade, DecodeGradeJob(job.payload));
    view.problem = grade.problem;
    view.language = grade.submission.language;
  }
  if (job.state != JobState::kDone) return view;
  view.verdict = job.verdict;
  auto report = GradeReportFromJson(job.result);
  if (!report) {
    // The queue finished the job without a report (the handler failed, or no worker finished
    // it within jobs.max_attempts): its result holds why.
    view.verdict = std::string(TestVerdictName(TestVerdict::kInternalError));
    view.message = job.result;
    return view;
  }
  GradeReport shown = SubmitterView(*report);
  view.verdict = std::string(TestVerdictName(shown.verdict));
  view.score = shown.score;
  view.max_score = shown.max_score;
  view.report = std::move(shown);
  return view;
}

}  // namespace

Result<SubmissionView> Submissions::Get(std::string_view user_id, std::string_view id,
                                        std::chrono::milliseconds wait) {
  CY_TRY(const Job job, jobs_->Get(user_id, id, wait));
  return ViewOf(job);
}

Result<Page<SubmissionView>> Submissions::List(std::string_view user_id,
                                               const SubmissionListRequest& request) {
  // One statement per page, filtered by kind and problem in SQL (the jobs' problem_id
  // column), so every page is full but the last; the cursor is the queue's own format.
  CY_CHECK(files::CheckPageLimit(request.page));
  CY_TRY(const auto key, files::DecodeCreatedCursor("j", request.page.cursor));
  std::optional<store::jobs::PageKey> before;
  if (key) before = store::jobs::PageKey{key->created_at, key->id};
  const int64_t limit = request.page.limit;
  CY_TRY(std::vector<Job> jobs,
         store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::jobs::ListByOwnerKind(tx, user_id, kGradeJobKind, request.problem, before,
                                               limit + 1);
         }));
  Page<SubmissionView> out;
  if (static_cast<int64_t>(jobs.size()) > limit) {
    jobs.resize(static_cast<std::size_t>(limit));
    const Job& last = jobs.back();
    out.next_cursor = files::EncodeCreatedCursor("j", last.created_at, last.id);
  }
  for (const Job& job : jobs) {
    CY_TRY(SubmissionView view, ViewOf(job));
    view.report.reset();
    out.items.push_back(std::move(view));
  }
  return out;
}

}  // namespace codeyard
