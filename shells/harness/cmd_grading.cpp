// `codeyard-bench grading [--tests N] [--rounds N] [--language python|c] [--json]`: grading a
// problem of N tests (a+b, checked by `trimmed`) against the same N runs without the judge,
// measured in the same run and interleaved round by round:
//   bare      the N runs of the program on the host (posix_spawn, stdin from a file)
//   one pod   the N runs exec'd one after another in one warm pod (the floor of reusing a pod)
//   run       Runner::Run per test: a fresh pod each, made on demand (no prefetch)
//   grade     Grade(problem): compile once, one pod reset between tests (GradeOptions::reuse_pods)
//   fresh     Grade(problem) with reuse_pods off: a fresh pod per test, `prefetch` started ahead

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "child_process.hpp"
#include "codeyard/grading.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "commands.hpp"
#include "core/run/warm_pool.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct GradingOptions {
  int tests = 50;
  int rounds = 3;
  std::string language = "python";
  size_t prefetch = GradeOptions{}.prefetch;
  bool json = false;
};

const char* const kPython = "a, b = map(int, input().split())\nprint(a + b)\n";
const char* const kC =
    "#include <stdio.h>\nint main(void){long a, b; scanf(\"%ld %ld\", &a, &b); "
    "printf(\"%ld\\n\", a + b); return 0;}\n";

void Check(bool ok, const std::string& what) {
  if (!ok) throw BenchFailed(kExitFailed, what);
}

void Run(const GradingOptions& options) {
  const bool c = options.language == "c";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cy-bench-grading-" + NewUuid().substr(0, 8));
  std::filesystem::create_directories(dir);
  Options executor_options;
  executor_options.executor_uri = "local:?state_dir=" + (dir / "pods").string();
  auto executor = OpenExecutor(executor_options);
  Check(executor.has_value(), executor ? "" : executor.error().ToString());
  auto runner = Runner::Create(*executor, RunnerOptions{});
  Check(runner.has_value(), "runner");

  Problem problem;
  problem.id = "sum";
  problem.title = "Sum";
  for (int i = 0; i < options.tests; ++i) {
    TestCase t;
    t.name = "secret/" + std::to_string(i);
    t.input = std::to_string(i) + " " + std::to_string(i * 7) + "\n";
    t.expected_output = std::to_string(i * 8) + "\n";
    problem.tests.push_back(std::move(t));
  }
  const std::string source_name = c ? "main.c" : "main.py";
  Submission submission{options.language,
                        {{source_name, FileKind::kFile, c ? kC : kPython, 0644, std::nullopt}}};

  // The host program and the sandboxed binary for the bare and one-pod phases.
  const std::string source_path = (dir / source_name).string();
  std::ofstream(source_path) << (c ? kC : kPython);
  std::vector<std::string> host_argv = {"/usr/bin/python3", source_path};
  std::vector<FileData> pod_files = submission.files;
  std::vector<std::string> pod_argv = {"python3", source_name};
  if (c) {
    const std::string binary = (dir / "main").string();
    Check(RunToSuccess({"gcc", "-O2", "-o", binary, source_path}, "/dev/null", /*quiet=*/false),
          "gcc");
    host_argv = {binary};
    pod_files = {};  // the host's binary (same glibc): the one-pod floor compiles nothing
    pod_argv = {"./main"};
    std::ifstream in(binary, std::ios::binary);
    pod_files.push_back({"main", FileKind::kFile,
                         std::string(std::istreambuf_iterator<char>(in), {}), 0755, std::nullopt});
  }
  std::vector<std::string> input_paths;
  for (int i = 0; i < options.tests; ++i) {
    input_paths.push_back((dir / ("in" + std::to_string(i))).string());
    std::ofstream(input_paths.back()) << problem.tests[i].input;
  }

  Samples bare, one_pod, runs, grade, fresh;
  for (int round = 0; round < options.rounds; ++round) {
    auto t0 = Clock::now();
    for (const auto& path : input_paths)
      Check(RunToSuccess(host_argv, path, /*quiet=*/false), "bare run");
    bare.Add(Clock::now() - t0);

    t0 = Clock::now();
    {
      auto pod = (*executor)->CreatePod(run::PodSpecFor(RunLimits{}, "bench"));
      Check(pod.has_value(), "pod");
      Check((*pod)->PutFiles(pod_files).has_value(), "put");
      for (const auto& test : problem.tests) {
        ExecSpec spec;
        spec.argv = pod_argv;
        spec.stdin_data = test.input;
        auto process = (*pod)->Exec(spec);
        Check(process.has_value(), "exec");
        auto status = (*process)->Wait();
        Check(status && status->exit_code == 0, "exec in one pod");
      }
      (void)(*executor)->DeletePod((*pod)->id());
    }
    one_pod.Add(Clock::now() - t0);

    t0 = Clock::now();
    for (const auto& test : problem.tests) {
      RunRequest request;
      request.files = submission.files;
      request.stdin_data = test.input;
      request.limits = WithTimeLimit(RunLimits{}, problem.limits.time_limit_s);
      auto result = (*runner)->Run(request);
      Check(result && result->verdict == Verdict::kOk, "Runner::Run");
    }
    runs.Add(Clock::now() - t0);

    t0 = Clock::now();
    GradeOptions grade_options;
    grade_options.prefetch = options.prefetch;
    auto report = Grade(**runner, problem, submission, grade_options);
    Check(report && report->verdict == TestVerdict::kAccepted, "Grade");
    grade.Add(Clock::now() - t0);

    t0 = Clock::now();
    grade_options.reuse_pods = false;
    report = Grade(**runner, problem, submission, grade_options);
    Check(report && report->verdict == TestVerdict::kAccepted, "Grade, fresh pods");
    fresh.Add(Clock::now() - t0);
  }
  runner->reset();
  executor->reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);

  const auto p50 = [](const Samples& s) { return static_cast<double>(s.Summarize().p50_ns) / 1e6; };
  const double b = p50(bare), o = p50(one_pod), r = p50(runs), g = p50(grade), f = p50(fresh);
  if (options.json) {
    boost::json::object out{{"tests", options.tests},
                            {"rounds", options.rounds},
                            {"prefetch", options.prefetch},
                            {"language", options.language},
                            {"bare_ms", b},
                            {"one_pod_ms", o},
                            {"runs_ms", r},
                            {"grade_ms", g},
                            {"grade_vs_runs", g / r},
                            {"grade_vs_bare", g / b},
                            {"grade_vs_one_pod", g / o},
                            {"grade_fresh_pods_ms", f},
                            {"grade_fresh_pods_vs_bare", f / b}};
    std::printf("%s\n", boost::json::serialize(out).c_str());
    return;
  }
  std::printf("codeyard-bench grading: %d tests, %s, %d rounds (p50 of the rounds), prefetch %zu\n",
              options.tests, options.language.c_str(), options.rounds, options.prefetch);
  std::printf("%-44s %10.1f ms\n", "bare on the host", b);
  std::printf("%-44s %10.1f ms  %6.2fx bare\n", "one warm pod, exec per test", o, o / b);
  std::printf("%-44s %10.1f ms  %6.2fx bare\n", "Runner::Run per test (fresh pod each)", r, r / b);
  std::printf("%-44s %10.1f ms  %6.2fx bare, %.2fx runs, %.2fx one pod\n",
              "Grade (compile once, one pod reset per test)", g, g / b, g / r, g / o);
  std::printf("%-44s %10.1f ms  %6.2fx bare, %.2fx runs, %.2fx one pod\n",
              "Grade, reuse off (fresh pod per test)", f, f / b, f / r, f / o);
}

}  // namespace

void AddGradingCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "grading", "grade a problem of N tests against the same N runs without the judge");
  auto options = std::make_shared<GradingOptions>();
  cmd->add_option("--tests", options->tests, "tests in the problem")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "rounds, each phase once per round")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--language", options->language, "python or c")
      ->check(CLI::IsMember({"python", "c"}))
      ->capture_default_str();
  cmd->add_option("--prefetch", options->prefetch, "pods Grade starts ahead")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] { Run(*options); });
}

}  // namespace codeyard::bench
