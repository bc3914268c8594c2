// One-shot runs through Runner: every language end to end, compile errors, stdin and
// arguments, verdict classification, and the warm pool's hit/miss accounting.
#include <signal.h>

#include <catch2/catch.hpp>

#include "codeyard/run.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

RunResult RunFile(Runner& runner, const std::string& name, const std::string& code,
                  const std::string& stdin_data = "", std::vector<std::string> args = {}) {
  RunRequest request;
  request.files.push_back({name, FileKind::kFile, code, 0644, std::nullopt});
  request.stdin_data = stdin_data;
  request.args = std::move(args);
  auto result = runner.Run(request);
  if (!result) FAIL("Run: " << result.error().ToString());
  return *result;
}

}  // namespace

TEST_CASE("languages and verdict names parse and print", "[runner]") {
  CHECK(ParseLanguage("Python").value() == Language::kPython);
  CHECK(ParseLanguage("c++").value() == Language::kCpp);
  CHECK(ParseLanguage("cobol").error().code() == Error::Code::kInvalidArgument);
  CHECK(LanguageFromFileName("a/b/main.cc").value() == Language::kCpp);
  CHECK(LanguageFromFileName("Makefile").error().code() == Error::Code::kInvalidArgument);
  CHECK(VerdictName(Verdict::kMemoryLimitExceeded) == "memory_limit_exceeded");

  RunLimits limits;
  ExitStatus s;
  s.exit_code = 0;
  CHECK(Classify(s, limits) == Verdict::kOk);
  s.exit_code = 3;
  CHECK(Classify(s, limits) == Verdict::kRuntimeError);
  s.exit_code.reset();
  s.signal = SIGKILL;
  s.oom_killed = true;
  CHECK(Classify(s, limits) == Verdict::kMemoryLimitExceeded);
  s.output_truncated = true;
  s.oom_killed = false;
  CHECK(Classify(s, limits) == Verdict::kOutputLimitExceeded);
  s.time_limit_exceeded = true;
  CHECK(Classify(s, limits) == Verdict::kTimeLimitExceeded);
  ExitStatus slow;
  slow.exit_code = 0;
  slow.cpu_ms = limits.cpu_time.count() + 1;
  CHECK(Classify(slow, limits) == Verdict::kTimeLimitExceeded);
}

TEST_CASE("every language runs end to end", "[runner]") {
  PodFixture f;
  auto runner = Runner::Create(f.shared()).value();
  const auto py = RunFile(*runner, "main.py",
                          "import sys, numpy\nprint(sys.argv[1], int(numpy.arange(5).sum()), "
                          "input())\n",
                          "line\n", {"arg1"});
  CHECK(py.verdict == Verdict::kOk);
  CHECK(py.stdout_data == "arg1 10 line\n");
  CHECK(py.status.memory_kb > 1000);
  CHECK(py.status.wall_ms >= py.status.cpu_ms / 2);

  CHECK(RunFile(*runner, "main.js", "console.log(6 * 7)").stdout_data == "42\n");
  CHECK(RunFile(*runner, "run.sh", "echo $((1+2)) $0").stdout_data == "3 run.sh\n");
  const auto c = RunFile(*runner, "main.c",
                         "#include <stdio.h>\n#include <math.h>\nint main(){int x; "
                         "scanf(\"%d\",&x); printf(\"%d %.0f\\n\", x*2, sqrt(81.0)); return 0;}\n",
                         "21");
  CHECK(c.verdict == Verdict::kOk);
  CHECK(c.stdout_data == "42 9\n");
  CHECK(c.compile_ms > 0);
  const auto cpp = RunFile(*runner, "main.cpp",
                           "#include <iostream>\n#include <vector>\nint main(){std::vector<int> "
                           "v{1,2,3}; std::cout << v.size() << std::endl; return 3;}\n");
  CHECK(cpp.verdict == Verdict::kRuntimeError);
  CHECK(cpp.status.exit_code == 3);
  CHECK(cpp.stdout_data == "3\n");
}

TEST_CASE("a compile error is a verdict with the compiler's message", "[runner]") {
  PodFixture f;
  auto runner = Runner::Create(f.shared()).value();
  const auto bad = RunFile(*runner, "main.c", "int main() { return undefined_name; }\n");
  CHECK(bad.verdict == Verdict::kCompileError);
  CHECK_THAT(bad.compile_output, Catch::Contains("undefined_name"));
  CHECK(bad.stdout_data.empty());
}

TEST_CASE("bad requests are errors, not verdicts", "[runner]") {
  PodFixture f;
  auto runner = Runner::Create(f.shared()).value();
  RunRequest empty;
  CHECK(runner->Run(empty).error().code() == Error::Code::kInvalidArgument);
  RunRequest unknown;
  unknown.files.push_back({"notes.txt", FileKind::kFile, "hi", 0644, std::nullopt});
  CHECK(runner->Run(unknown).error().code() == Error::Code::kInvalidArgument);
  RunRequest escape;
  escape.files.push_back({"../main.py", FileKind::kFile, "print(1)", 0644, std::nullopt});
  CHECK(runner->Run(escape).error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("the warm pool serves runs from ready pods and counts hits and misses", "[runner]") {
  PodFixture f;
  RunnerOptions options;
  options.pool_size = 2;
  auto runner = Runner::Create(f.shared(), options).value();
  REQUIRE(runner->WaitForPool(30s));
  CHECK(runner->pool_stats().ready == 2);
  for (int i = 0; i < 3; ++i) {
    CHECK(RunFile(*runner, "main.py", "print('hi')").stdout_data == "hi\n");
  }
  const PoolStats stats = runner->pool_stats();
  CHECK(stats.hits + stats.misses == 3);
  CHECK(stats.hits >= 2);
  // Runs with other limits bypass the pool.
  RunRequest custom;
  custom.files.push_back({"main.py", FileKind::kFile, "print(2)", 0644, std::nullopt});
  custom.limits.memory_bytes = uint64_t{64} << 20;
  CHECK(runner->Run(custom).value().stdout_data == "2\n");
  CHECK(runner->pool_stats().hits + runner->pool_stats().misses == 3);
}
