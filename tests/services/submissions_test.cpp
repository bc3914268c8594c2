// Submissions on both storage backends with the real local sandbox: every example problem of
// examples/problems, graded as a "grade" job through the queue, gives each of its example
// submissions the verdict (and score) its package expects; a submitter's view never holds a
// hidden test's input, expected output or program output; a problem the user cannot see is
// not found; a bad language or file is refused as a run job's would be; lists are per user
// and per problem.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/submissions.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const fs::path kExamples = CODEYARD_EXAMPLE_PROBLEMS;

class SubmissionWorld {
 public:
  explicit SubmissionWorld(std::unique_ptr<TestDatabase> db) : db_(std::move(db)) {
    Options opts;
    opts.storage = db_->shared();
    platform_ = Must(Platform::Open(opts));
    state_dir_ = fs::temp_directory_path() / ("cy-submit-" + NewUuid().substr(0, 8));
    auto executor = Must(BackendRegistry::WithBuiltins().OpenExecutor(
        "local:?state_dir=" + state_dir_.string(), BackendContext{}));
    RunnerOptions runner_options;
    runner_options.pool_size = 2;
    runner_ = Must(Runner::Create(executor, runner_options));
    JobsOptions jobs_options;
    jobs_options.workers = 2;
    jobs_options.poll = milliseconds(20);
    jobs_options.replica_id = "test";
    jobs_ = std::make_shared<Jobs>(platform_, runner_, jobs_options);
    problems = std::make_shared<Problems>(platform_);
    Must(Submissions::RegisterGradeKind(*jobs_, problems, runner_));
    jobs_->Start();
    submissions = std::make_unique<Submissions>(platform_, jobs_, problems);
    admin = AddUser("root", Role::kAdmin);
    user = AddUser("pupil", Role::kUser);
  }
  ~SubmissionWorld() {
    submissions.reset();
    jobs_.reset();
    runner_.reset();
    std::error_code ec;
    fs::remove_all(state_dir_, ec);
  }

  std::string AddUser(const std::string& name, Role role) {
    User u;
    u.id = NewUuid();
    u.username = name + u.id.substr(0, 6);
    u.password_hash = "$argon2id$test-only";
    u.role = role;
    Must(store::Transact(platform_->storage(), TxKind::kWrite,
                         [&](Transaction& tx) { return store::users::Insert(tx, u); }));
    return u.id;
  }

  SubmissionView SubmitAndWait(const std::string& who, const std::string& problem,
                               const std::string& language, std::vector<FileData> files) {
    const Submitted s = Must(submissions->Submit(who, problem, language, std::move(files)));
    REQUIRE(s.ids.size() == 1);
    SubmissionView view = Must(submissions->Get(who, s.ids[0], milliseconds(30000)));
    for (int i = 0; i < 10 && view.state != JobState::kDone; ++i) {
      // Get waits at most 30 s a call; a slow grading (many tests on 2 shared cores) gets more.
      view = Must(submissions->Get(who, s.ids[0], milliseconds(30000)));
    }
    REQUIRE(view.state == JobState::kDone);
    return view;
  }

  std::unique_ptr<TestDatabase> db_;
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Runner> runner_;
  std::shared_ptr<Jobs> jobs_;
  fs::path state_dir_;
  std::shared_ptr<Problems> problems;
  std::unique_ptr<Submissions> submissions;
  std::string admin, user;
};

FileData File(std::string path, std::string content) {
  return FileData{std::move(path), FileKind::kFile, std::move(content), 0644, std::nullopt};
}

// Whether a grading meets a package's expectation (problem_packages.hpp's verdict names).
void CheckExpected(const ExampleSubmission& example, const SubmissionView& view) {
  INFO(example.name << ": " << view.verdict << " " << view.score << "/" << view.max_score << " "
                    << view.message);
  const std::string& want = example.expected_verdict;
  if (want == "partially_accepted") {
    CHECK(view.score > 0);
    CHECK(view.score < view.max_score);
  } else if (want == "rejected") {
    CHECK(view.verdict != "accepted");
  } else if (want == "brute_force") {
    CHECK(view.verdict != "accepted");
    CHECK(view.verdict != "wrong_answer");
  } else {
    CHECK(view.verdict == want);
  }
  if (example.expected_score) CHECK(view.score == *example.expected_score);
}

// Every string of a hidden test the submitter must never see.
std::vector<std::string> HiddenStrings(const Problem& problem) {
  std::vector<std::string> out;
  for (const TestCase& t : problem.tests) {
    if (t.is_public) continue;
    for (const std::string* s : {&t.input, &t.expected_output}) {
      // Short data ("1\n") appears anywhere by chance; distinctive strings are what can leak.
      if (s->size() >= 8) out.push_back(*s);
    }
  }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("submissions: every example problem grades its example submissions",
                   "[submissions]", CODEYARD_STORAGE_BACKENDS) {
  SubmissionWorld w(TestType::Create());
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    ProblemPackage package = Must(ImportPackage(entry.path()));
    if (!package.fixed_time_limit_s) package.problem.limits.time_limit_s = 2;
    Must(w.problems->Put(w.admin, package.problem));
    const std::vector<std::string> hidden = HiddenStrings(package.problem);
    for (const ExampleSubmission& example : package.submissions) {
      const SubmissionView view =
          w.SubmitAndWait(w.user, package.problem.id, example.language, example.files);
      CHECK(view.problem == package.problem.id);
      CheckExpected(example, view);
      REQUIRE(view.report.has_value());
      const std::string shown = GradeReportToJson(*view.report);
      for (const std::string& secret : hidden) {
        INFO(example.name << " shows hidden data");
        CHECK(shown.find(secret) == std::string::npos);
      }
      for (const TestReport& t : view.report->tests) {
        if (t.is_public) continue;
        CHECK(t.output.empty());
        CHECK(t.feedback.empty());
      }
    }
  }
}

TEMPLATE_TEST_CASE("submissions: visibility, request checks and lists", "[submissions]",
                   CODEYARD_STORAGE_BACKENDS) {
  SubmissionWorld w(TestType::Create());
  ProblemPackage hello = Must(ImportPackage(kExamples / "hello"));
  hello.problem.limits.time_limit_s = 2;
  Must(w.problems->Put(w.admin, hello.problem));
  ProblemPackage sum = Must(ImportPackage(kExamples / "sum"));
  sum.problem.is_public = false;
  Must(w.problems->Put(w.admin, sum.problem));

  const auto ok = [] {
    return std::vector<FileData>{File("hello.py", "print('Hello, World!')\n")};
  };
  // A problem the user cannot see, or none at all, is not found; admins see private ones.
  CHECK(Failure(w.submissions->Submit(w.user, "sum", "python", ok())).code() ==
        Error::Code::kNotFound);
  CHECK(Failure(w.submissions->Submit(w.user, "nope", "python", ok())).code() ==
        Error::Code::kNotFound);
  const SubmissionView private_one = w.SubmitAndWait(w.admin, "sum", "python", ok());
  CHECK(private_one.verdict != "accepted");
  // Language and files are checked as a run job's.
  CHECK(Failure(w.submissions->Submit(w.user, "hello", "cobol", ok())).code() ==
        Error::Code::kInvalidArgument);
  CHECK(Failure(w.submissions->Submit(w.user, "hello", "python", {})).code() ==
        Error::Code::kInvalidArgument);
  CHECK(Failure(w.submissions->Submit(w.user, "hello", "python", {File("../x.py", "")})).code() ==
        Error::Code::kInvalidArgument);

  const SubmissionView first = w.SubmitAndWait(w.user, "hello", "python", ok());
  CHECK(first.verdict == "accepted");
  CHECK(first.score == first.max_score);
  const SubmissionView second =
      w.SubmitAndWait(w.user, "hello", "python", {File("hello.py", "print('hello world')\n")});
  CHECK(second.verdict == "wrong_answer");

  // Another user's submission is not found; a run job is no submission.
  CHECK(Failure(w.submissions->Get(w.admin, first.id)).code() == Error::Code::kNotFound);
  JobSubmission run;
  run.run.language = "python";
  run.run.files = ok();
  const Submitted job = Must(w.jobs_->Submit(w.user, {run}));
  CHECK(Failure(w.submissions->Get(w.user, job.ids[0])).code() == Error::Code::kNotFound);

  // Mine, newest first, run jobs left out, optionally per problem.
  SubmissionListRequest all;
  const Page<SubmissionView> mine = Must(w.submissions->List(w.user, all));
  REQUIRE(mine.items.size() == 2);
  CHECK(mine.items[0].id == second.id);
  CHECK(mine.items[1].id == first.id);
  CHECK_FALSE(mine.items[0].report);
  SubmissionListRequest per_problem;
  per_problem.problem = "sum";
  CHECK(Must(w.submissions->List(w.user, per_problem)).items.empty());
  CHECK(Must(w.submissions->List(w.admin, per_problem)).items.size() == 1);

  // Progress: two graded attempts, solved by the first; hello's level counts in its summary.
  const UserProgress progress = Must(w.submissions->Progress(w.user));
  REQUIRE(progress.problems.size() == 1);
  const ProblemProgress& p = progress.problems[0];
  CHECK(p.problem == "hello");
  CHECK(p.attempts == 2);
  CHECK(p.solved);
  CHECK(p.best_score == first.max_score);
  CHECK(p.first_solved_at == first.created_at);
  CHECK(p.last_submitted_at == second.created_at);
  CHECK(p.level == hello.problem.tags.level);
  CHECK(progress.overall.attempted == 1);
  CHECK(progress.overall.solved == 1);
  CHECK(progress.overall.points == first.max_score);
  if (p.level) CHECK(progress.levels.at(*p.level).solved == 1);
  // A wrong answer alone attempts without solving; the admin's private submission counts too.
  const UserProgress admin = Must(w.submissions->Progress(w.admin));
  REQUIRE(admin.problems.size() == 1);
  CHECK(admin.problems[0].problem == "sum");
  CHECK(admin.problems[0].attempts == 1);
  CHECK_FALSE(admin.problems[0].solved);
  CHECK(admin.overall.solved == 0);
}

}  // namespace codeyard::testing
