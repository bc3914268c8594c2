// Jobs, problems and grading naming an image (issue 18): a run job's pods (compile and run)
// and a problem's (submission, checker) are made on the image it names, through the real
// local sandbox, the real Runner with its warm pool of the default image beside them, and
// real storage on both backends. The [seeds] cases use the image the ctest fixture "images:
// build the seeds image" builds; the host cannot install python3-scipy, so a program that
// imports it (or a C program that finds its files) tells the image from the host.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "codeyard/backend/registry.hpp"
#include "codeyard/grading.hpp"
#include "codeyard/id.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "services/workspace_world.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

namespace fs = std::filesystem;
using Code = Error::Code;
using std::chrono::milliseconds;

const std::string kImagesDir = CODEYARD_TEST_IMAGES_DIR;

FileData File(std::string path, std::string content) {
  return {std::move(path), FileKind::kFile, std::move(content), 0644, std::nullopt};
}

// A Runner (with a warm pool of the default image) on a local executor serving `images_dir`,
// and the Jobs and Problems services over one test database.
class ImageWorld {
 public:
  ImageWorld(std::unique_ptr<testing::TestDatabase> db, const std::string& images_dir)
      : db_(std::move(db)),
        platform_(testing::OpenTestPlatform(*db_, std::make_shared<ManualClock>())),
        state_dir_(fs::temp_directory_path() / ("cy-imgjobs-" + NewUuid().substr(0, 8))) {
    auto executor = BackendRegistry::WithBuiltins().OpenExecutor(
        "local:?state_dir=" + state_dir_.string() + "&images_dir=" + images_dir, BackendContext{});
    if (!executor) FAIL("local executor: " << executor.error().ToString());
    RunnerOptions runner_options;
    runner_options.pool_size = 1;
    auto runner = Runner::Create(*executor, runner_options);
    if (!runner) FAIL("runner: " << runner.error().ToString());
    runner_ = std::move(*runner);
    JobsOptions options;
    options.workers = 2;
    options.poll = milliseconds(20);
    options.replica_id = "test";
    options.images_dir = images_dir;
    jobs = std::make_unique<Jobs>(platform_, runner_, options);
    problems = std::make_unique<Problems>(platform_, images_dir);
  }
  ~ImageWorld() {
    jobs.reset();
    runner_.reset();
    std::error_code ec;
    fs::remove_all(state_dir_, ec);
  }
  ImageWorld(const ImageWorld&) = delete;
  ImageWorld& operator=(const ImageWorld&) = delete;

  std::string NewUser() { return testing::InsertUser(*platform_, "imgjobs"); }
  Runner& runner() { return *runner_; }

  std::unique_ptr<Jobs> jobs;
  std::unique_ptr<Problems> problems;

 private:
  std::unique_ptr<testing::TestDatabase> db_;
  std::shared_ptr<Platform> platform_;
  fs::path state_dir_;
  std::shared_ptr<Runner> runner_;
};

JobSubmission Run(std::string language, FileData file, std::string image) {
  JobSubmission s;
  s.run.language = std::move(language);
  s.run.files = {std::move(file)};
  s.run.image = std::move(image);
  return s;
}

Job WaitDone(Jobs& jobs, const std::string& user, const std::string& id) {
  auto job = jobs.Get(user, id, milliseconds(30000));
  REQUIRE(job.has_value());
  REQUIRE(job->state == JobState::kDone);
  REQUIRE(job->run.has_value());
  return *job;
}

const char* const kScipyPy = "import scipy\nprint('scipy', scipy.__version__)\n";
// Compiled and run on the image: its gcc, and a file only the image has.
const char* const kScipyC =
    "#include <stdio.h>\n#include <unistd.h>\n"
    "int main(void) {\n"
    "  puts(access(\"/usr/lib/python3/dist-packages/scipy\", R_OK) == 0 ? \"image\" : \"host\");\n"
    "  return 0;\n}\n";

// a+b, answered by a program that needs the image's scipy, checked by a checker that needs
// it too (the host has numpy, not scipy).
Problem ScipySum(std::string image) {
  Problem p;
  p.id = "scipy-sum";
  p.title = "Sum with scipy";
  p.image = std::move(image);
  p.limits.time_limit_s = 5;
  p.limits.memory_bytes = uint64_t{256} << 20;
  TestCase t;
  t.name = "sample/1";
  t.input = "1 2\n";
  t.expected_output = "3\n";
  t.is_public = true;
  p.tests = {t};
  p.checker.kind = CheckerKind::kCustom;
  p.checker.program = HelperProgram{
      "python",
      {File("check.py",
            "import sys, numpy, scipy\n"
            "got = numpy.array(sys.stdin.read().split(), dtype=float)\n"
            "want = numpy.array(open(sys.argv[2]).read().split(), dtype=float)\n"
            "sys.exit(42 if got.shape == want.shape and numpy.allclose(got, want) else 43)\n")}};
  return p;
}

const char* const kSumPy =
    "import scipy.special\na, b = map(int, input().split())\n"
    "print(int(scipy.special.comb(a + b, 1)))\n";

}  // namespace

TEMPLATE_TEST_CASE("images: a run job naming an image compiles and runs in it", "[seeds]",
                   CODEYARD_STORAGE_BACKENDS) {
  ImageWorld world(TestType::Create(), kImagesDir);
  Jobs& jobs = *world.jobs;
  jobs.Start();
  const std::string user = world.NewUser();
  auto submitted = jobs.Submit(
      user, {Run("python", File("main.py", kScipyPy), "seeds"),
             Run("python", File("main.py", kScipyPy), ""),
             Run("c", File("main.c", kScipyC), "seeds"), Run("c", File("main.c", kScipyC), "")});
  REQUIRE(submitted.has_value());
  REQUIRE(submitted->ids.size() == 4);

  const Job on_image = WaitDone(jobs, user, submitted->ids[0]);
  CHECK(on_image.image == "seeds");
  CHECK(on_image.run->verdict == Verdict::kOk);
  CHECK(on_image.run->stdout_data.starts_with("scipy 1."));
  // The same program on the default image (the host's /usr, from the warm pool) has no scipy.
  const Job on_host = WaitDone(jobs, user, submitted->ids[1]);
  CHECK(on_host.image.empty());
  CHECK(on_host.run->verdict == Verdict::kRuntimeError);
  CHECK(on_host.run->stderr_data.find("scipy") != std::string::npos);
  const Job c_image = WaitDone(jobs, user, submitted->ids[2]);
  CHECK(c_image.run->verdict == Verdict::kOk);
  CHECK(c_image.run->stdout_data == "image\n");
  const Job c_host = WaitDone(jobs, user, submitted->ids[3]);
  CHECK(c_host.run->verdict == Verdict::kOk);
  CHECK(c_host.run->stdout_data == "host\n");
  // Lists carry it too (the light columns).
  auto listed = jobs.List(user, PageRequest{});
  REQUIRE(listed.has_value());
  int on_seeds = 0;
  for (const Job& job : listed->items) on_seeds += job.image == "seeds" ? 1 : 0;
  CHECK(on_seeds == 2);
}

TEMPLATE_TEST_CASE("images: a job or a problem naming an unknown image is refused, naming it",
                   "[images]", CODEYARD_STORAGE_BACKENDS) {
  const fs::path empty = fs::temp_directory_path() / ("cy-noimages-" + NewUuid().substr(0, 8));
  fs::create_directories(empty);
  {
    ImageWorld world(TestType::Create(), empty.string());
    const std::string user = world.NewUser();
    auto refused = world.jobs->Submit(user, {Run("python", File("main.py", "print(1)"), "nosuch")});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Code::kInvalidArgument);
    CHECK(refused.error().message().find("field 'image'") != std::string::npos);
    CHECK(refused.error().message().find("\"nosuch\"") != std::string::npos);
    auto bad = world.jobs->Submit(user, {Run("python", File("main.py", "print(1)"), "../etc")});
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code() == Code::kInvalidArgument);

    auto problem = world.problems->PutAsOperator(ScipySum("nosuch"));
    REQUIRE_FALSE(problem.has_value());
    CHECK(problem.error().code() == Code::kInvalidArgument);
    CHECK(problem.error().message().find("\"nosuch\"") != std::string::npos);
    CHECK(world.problems->ForGrading("scipy-sum").error().code() == Code::kNotFound);

    // One that is there (CheckKnown reads its manifest) is stored with the problem and read
    // back with it.
    fs::create_directories(empty / "other");
    std::ofstream(empty / "other" / "manifest.json") << "{}";
    REQUIRE(world.problems->PutAsOperator(ScipySum("other")).has_value());
    auto stored = world.problems->ForGrading("scipy-sum");
    REQUIRE(stored.has_value());
    CHECK(stored->image == "other");
    auto shown = world.problems->Get("", "scipy-sum");
    REQUIRE(shown.has_value());
    CHECK(shown->problem.image == "other");
  }
  std::error_code ec;
  fs::remove_all(empty, ec);
}

TEST_CASE("images: problem.yaml of our folder format names the image, export and import",
          "[images]") {
  const fs::path dir = fs::temp_directory_path() / ("cy-imgpkg-" + NewUuid().substr(0, 8));
  ProblemPackage package;
  package.format = PackageFormat::kCodeyard;
  package.problem = ScipySum("seeds");
  REQUIRE(ExportProblemFolder(package, dir / "scipy-sum").has_value());
  std::ifstream yaml(dir / "scipy-sum" / "problem.yaml");
  const std::string text((std::istreambuf_iterator<char>(yaml)), {});
  CHECK(text.find("image: seeds") != std::string::npos);
  auto back = ImportProblemFolder(dir / "scipy-sum");
  REQUIRE(back.has_value());
  CHECK(back->problem.image == "seeds");
  // Without the key: the executor's default.
  package.problem.image.clear();
  REQUIRE(ExportProblemFolder(package, dir / "plain" / "scipy-sum").has_value());
  auto plain = ImportProblemFolder(dir / "plain" / "scipy-sum");
  REQUIRE(plain.has_value());
  CHECK(plain->problem.image.empty());
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEMPLATE_TEST_CASE("images: a problem naming an image is stored with it and graded on it",
                   "[seeds]", CODEYARD_STORAGE_BACKENDS) {
  ImageWorld world(TestType::Create(), kImagesDir);
  auto stored = world.problems->PutAsOperator(ScipySum("seeds"));
  REQUIRE(stored.has_value());
  auto problem = world.problems->ForGrading("scipy-sum");
  REQUIRE(problem.has_value());
  CHECK(problem->image == "seeds");

  const Submission submission{"python", {File("main.py", kSumPy)}};
  auto report = Grade(world.runner(), *problem, submission);
  REQUIRE(report.has_value());
  CHECK(report->verdict == TestVerdict::kAccepted);
  INFO(report->message);
  // On the default image neither the submission nor the checker can import what they need:
  // the submission fails first.
  Problem on_host = *problem;
  on_host.image.clear();
  auto host_report = Grade(world.runner(), on_host, submission);
  REQUIRE(host_report.has_value());
  CHECK(host_report->verdict == TestVerdict::kRuntimeError);
  // A submission that needs nothing of the image passes only when the checker (scipy) runs on
  // the image too.
  const Submission plain{"python",
                         {File("main.py",
                               "a, b = map(int, input().split())\n"
                               "print(a + b)\n")}};
  auto plain_report = Grade(world.runner(), *problem, plain);
  REQUIRE(plain_report.has_value());
  CHECK(plain_report->verdict == TestVerdict::kAccepted);
  auto plain_host = Grade(world.runner(), on_host, plain);
  REQUIRE(plain_host.has_value());
  CHECK(plain_host->verdict == TestVerdict::kInternalError);  // the checker cannot import scipy
}

}  // namespace codeyard
