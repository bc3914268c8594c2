// Grading end to end through the real local sandbox: every verdict from a real program, each
// checker once, groups and partial points, a custom checker, an interactive problem, the
// compile-once runner, and the secrecy of hidden tests in the submitter's view and its JSON.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "codeyard/grading.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

FileData File(std::string path, std::string content) {
  return {std::move(path), FileKind::kFile, std::move(content), 0644, std::nullopt};
}

TestCase Test(std::string name, std::string input, std::string expected, bool is_public = false,
              std::string group = "", double points = 1) {
  TestCase t;
  t.name = std::move(name);
  t.input = std::move(input);
  t.expected_output = std::move(expected);
  t.is_public = is_public;
  t.group = std::move(group);
  t.points = points;
  return t;
}

// a+b: two tests, one public.
Problem Sum() {
  Problem p;
  p.id = "sum";
  p.title = "Sum";
  p.limits.time_limit_s = 1;
  p.limits.memory_bytes = uint64_t{96} << 20;
  p.limits.output_bytes = uint64_t{64} << 10;
  p.tests = {Test("sample/1", "1 2\n", "3\n", true), Test("secret/1", "40 2\n", "42\n")};
  return p;
}

struct World {
  PodFixture pods;
  std::unique_ptr<Runner> runner;
  World() {
    RunnerOptions options;
    options.pool_size = 0;
    // Keep the compiler-loop test short; the table's own limits are 10 s.
    options.compile_override = CompileLimits{std::chrono::milliseconds(3000),
                                             std::chrono::milliseconds(6000), uint64_t{16} << 10};
    runner = Runner::Create(pods.shared(), options).value();
  }
  GradeReport Grade(const Problem& problem, std::string language, std::string file,
                    std::string source, const GradeOptions& options = {}) {
    Submission submission{std::move(language), {File(std::move(file), std::move(source))}};
    auto report = codeyard::Grade(*runner, problem, submission, options);
    if (!report) FAIL("Grade: " << report.error().ToString());
    return *report;
  }
  GradeReport Python(const Problem& problem, std::string source, const GradeOptions& options = {}) {
    return Grade(problem, "python", "main.py", std::move(source), options);
  }
};

const char* const kSumPy = "a, b = map(int, input().split())\nprint(a + b)\n";

}  // namespace

TEST_CASE("an accepted submission: compiled once, every test run and scored", "[grading]") {
  World w;
  const auto report = w.Grade(
      Sum(), "cpp", "main.cpp",
      "#include <iostream>\nint main(){long a,b; std::cin>>a>>b; std::cout<<a+b<<'\\n';}\n");
  CHECK(report.verdict == TestVerdict::kAccepted);
  CHECK(report.score == 2);
  CHECK(report.max_score == 2);
  CHECK(report.compile_ms > 0);
  REQUIRE(report.tests.size() == 2);
  for (const auto& t : report.tests) {
    CHECK(t.verdict == TestVerdict::kAccepted);
    CHECK(t.memory_kb > 0);
    CHECK(t.wall_ms >= 0);
    CHECK(t.exit_code == 0);
  }
  CHECK(report.tests[0].output == "3\n");  // public: the output is kept
  CHECK(report.tests[1].output.empty());   // hidden: never kept
}

TEST_CASE("every verdict comes from a real program", "[grading]") {
  World w;
  const Problem sum = Sum();
  SECTION("wrong answer") {
    const auto r = w.Python(sum, "input()\nprint(3)\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kWrongAnswer);  // the first failure: secret/1
    CHECK(r.tests[0].verdict == TestVerdict::kAccepted);
    CHECK(r.tests[1].verdict == TestVerdict::kWrongAnswer);
    CHECK(r.tests[0].score == 1);  // tests score on their own...
    CHECK(r.score == 0);           // ...but a pass-fail problem's total is all or nothing
  }
  SECTION("an infinite loop is time_limit_exceeded") {
    const auto r = w.Python(sum, "while True:\n    pass\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kTimeLimitExceeded);
  }
  SECTION("sleeping past the wall limit is time_limit_exceeded") {
    const auto r = w.Python(sum, "import time\ntime.sleep(30)\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kTimeLimitExceeded);
    CHECK(r.tests[0].wall_ms >= 1900);
    CHECK(r.tests[0].time_ms < 900);
  }
  SECTION("a memory hog is memory_limit_exceeded") {
    const auto r = w.Python(sum, "x = b'a' * (300 << 20)\nprint(len(x))\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kMemoryLimitExceeded);
  }
  SECTION("a segfault is runtime_error with the signal") {
    const auto r = w.Grade(sum, "c", "main.c", "int main(void){ volatile int *p = 0; *p = 1; }\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kRuntimeError);
    CHECK(r.tests[0].signal == 11);
  }
  SECTION("a non-zero exit is runtime_error") {
    const auto r = w.Python(sum, "import sys\nsys.exit(3)\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kRuntimeError);
    CHECK(r.tests[0].exit_code == 3);
  }
  SECTION("the right answer and then a crash is runtime_error: the exit status wins") {
    const auto r =
        w.Python(sum, std::string(kSumPy) + "import sys\nsys.stdout.flush()\nsys.exit(1)\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kRuntimeError);
    CHECK(r.tests[0].output == "3\n");
    CHECK(r.score == 0);
  }
  SECTION("an output flood is output_limit_exceeded") {
    const auto r = w.Python(sum, "while True:\n    print('x' * 1000)\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kOutputLimitExceeded);
    CHECK(r.tests[0].output.size() <= sum.limits.output_bytes);
  }
  SECTION("a compile error ends grading with the compiler's output") {
    const auto r = w.Grade(sum, "c", "main.c", "int main(void) { return undeclared_thing; }\n");
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kCompileError);
    CHECK_THAT(r.compile_output, Catch::Contains("undeclared_thing"));
    CHECK(r.tests.empty());
    CHECK(r.score == 0);
  }
  SECTION("a compiler flooding errors is stopped at the output cap: compile_error") {
    std::string flood =
        "#define A int x = \"s\"; int x = \"s\"; int x = \"s\"; int x = \"s\";\n"
        "#define B A A A A A A A A A A\n#define C B B B B B B B B B B\n"
        "#define D C C C C C C C C C C\nD D D D D D D D D D\nint main(){}\n";
    const auto r = w.Grade(sum, "cpp", "main.cpp", flood);
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kCompileError);
    CHECK(r.compile_output.size() <= (size_t{16} << 10));
    CHECK_THAT(r.message, Catch::Contains("cap"));
  }
  SECTION("a compiler that loops is stopped at its time limit: compile_error") {
    const char* loop =
        "constexpr long f(){ long s = 0; for (long i = 0; i < 200000; ++i) for (long j = 0; "
        "j < 200000; ++j) s += (i ^ j) % 7; return s; }\nconstexpr long v = f();\n"
        "int main(){ return v == 0; }\n";
    Submission s{"cpp", {File("main.cpp", loop)}};
    const auto r = Grade(*w.runner, sum, s).value();
    INFO(GradeReportToJson(r));
    CHECK(r.verdict == TestVerdict::kCompileError);
    INFO(r.compile_output);
    CHECK_THAT(r.message, Catch::Contains("time limit"));
  }
}

TEST_CASE("each built-in checker end to end", "[grading]") {
  World w;
  Problem p = Sum();
  p.tests = {Test("t", "", "Hello World\n0.5 1e3\n")};
  struct Case {
    CheckerKind kind;
    std::string print;  // what the program prints
    bool accepted;
  };
  const std::vector<Case> cases = {
      {CheckerKind::kExact, "Hello World\\n0.5 1e3\\n", true},
      {CheckerKind::kExact, "Hello World\\n0.5 1e3", false},
      {CheckerKind::kTrimmed, "Hello World  \\n0.5 1e3", true},
      {CheckerKind::kTokens, "Hello\\nWorld 0.5   1e3", true},
      {CheckerKind::kTokens, "hello world 0.5 1e3", false},
      {CheckerKind::kFloat, "Hello World 0.5000001 1000", true},
      {CheckerKind::kFloat, "Hello World 0.51 1000", false},
      {CheckerKind::kUnorderedLines, "0.5 1e3\\nHello World\\n", true},
  };
  for (const auto& c : cases) {
    p.checker.kind = c.kind;
    const auto r = w.Python(p, "import sys\nsys.stdout.write('" + c.print + "')\n");
    INFO(CheckerKindName(c.kind) << " " << c.print);
    CHECK((r.verdict == TestVerdict::kAccepted) == c.accepted);
    if (!c.accepted) CHECK(r.verdict == TestVerdict::kWrongAnswer);
  }
}

TEST_CASE("groups score all-or-nothing and pass-fail problems score 0 or max", "[grading]") {
  World w;
  Problem p = Sum();
  p.scoring = true;
  p.groups = {{"g1", 30}, {"g2", 70}};
  p.tests = {Test("sample/1", "1 1\n", "2\n", true, "", 0),
             Test("g1/1", "1 2\n", "3\n", false, "g1"), Test("g1/2", "2 2\n", "4\n", false, "g1"),
             Test("g2/1", "100 1\n", "101\n", false, "g2"),
             Test("g2/2", "100 2\n", "102\n", false, "g2")};
  // Wrong for sums over 100: g2 fails one test and scores nothing.
  const char* partial = "a, b = map(int, input().split())\nprint(a + b if a + b < 102 else 0)\n";
  const auto r = w.Python(p, partial);
  CHECK(r.verdict == TestVerdict::kWrongAnswer);
  CHECK(r.score == 30);
  CHECK(r.max_score == 100);
  REQUIRE(r.groups.size() == 2);
  CHECK(r.groups[0].score == 30);
  CHECK(r.groups[1].score == 0);
  CHECK(w.Python(p, kSumPy).score == 100);

  p.scoring = false;
  CHECK(w.Python(p, partial).score == 0);
  const auto right = w.Python(p, kSumPy);
  CHECK(right.verdict == TestVerdict::kAccepted);
  CHECK(right.score == 100);
}

TEST_CASE("stop at the first failure and progress reports test i of n", "[grading]") {
  World w;
  Problem p = Sum();
  p.tests.push_back(Test("secret/2", "5 5\n", "10\n"));
  std::vector<std::pair<size_t, size_t>> seen;
  GradeOptions options;
  options.progress = [&](size_t done, size_t total) { seen.emplace_back(done, total); };
  w.Python(p, kSumPy, options);
  CHECK(seen == std::vector<std::pair<size_t, size_t>>{{1, 3}, {2, 3}, {3, 3}});
  seen.clear();
  options.stop_at_first_failure = true;
  const auto r = w.Python(p, "input()\nprint(3)\n", options);
  CHECK(r.tests.size() == 2);
  CHECK(r.verdict == TestVerdict::kWrongAnswer);
  CHECK(seen == std::vector<std::pair<size_t, size_t>>{{1, 3}, {2, 2}});
}

TEST_CASE("a custom checker: Kattis protocol, partial points, failures are internal_error",
          "[grading]") {
  World w;
  Problem p = Sum();
  p.scoring = true;
  p.groups = {{"g", 10}};
  p.tests = {Test("one", "1 2\n", "3\n", false, "", 4), Test("g/1", "2 2\n", "4\n", false, "g"),
             Test("g/2", "3 3\n", "6\n", false, "g")};
  p.checker.kind = CheckerKind::kCustom;
  // Full marks for the exact sum, half for the sum off by one, wrong answer otherwise; the
  // input file is read to prove the checker gets it.
  p.checker.program = HelperProgram{
      "python",
      {File("check.py",
            "import sys\ninp, ans, fb = sys.argv[1], sys.argv[2], sys.argv[3]\n"
            "a, b = map(int, open(inp).read().split())\nwant = int(open(ans).read())\n"
            "got = int(sys.stdin.read().split()[0])\nassert want == a + b\n"
            "if got == want: sys.exit(42)\n"
            "if abs(got - want) == 1:\n"
            "    open(fb + 'score.txt', 'w').write('0.5')\n"
            "    open(fb + 'judgemessage.txt', 'w').write('off by one')\n    sys.exit(42)\n"
            "open(fb + 'judgemessage.txt', 'w').write('far off')\nsys.exit(43)\n")}};
  CHECK(w.Python(p, kSumPy).score == 14);
  // Off by one everywhere: half of each test's points, and the group's minimum fraction.
  const auto half = w.Python(p, "a, b = map(int, input().split())\nprint(a + b + 1)\n");
  CHECK(half.verdict == TestVerdict::kAccepted);
  CHECK(half.score == 7);
  CHECK(half.tests[0].fraction == 0.5);
  CHECK(half.tests[0].feedback == "off by one");
  // Off by one only in g/2: the group scores its minimum fraction.
  const auto mixed =
      w.Python(p, "a, b = map(int, input().split())\nprint(a + b + (1 if a == 3 else 0))\n");
  CHECK(mixed.score == 4 + 5);
  const auto wrong = w.Python(p, "print(100)\n");
  CHECK(wrong.verdict == TestVerdict::kWrongAnswer);
  CHECK(wrong.score == 0);
  CHECK(wrong.tests[0].feedback == "far off");

  SECTION("a checker that crashes or writes a bad score is internal_error naming it") {
    p.checker.program->files[0].content = "import sys\nsys.exit(1)\n";
    const auto crashed = w.Python(p, kSumPy);
    CHECK(crashed.verdict == TestVerdict::kInternalError);
    CHECK_THAT(crashed.tests[0].feedback, Catch::Contains("checker failed"));
    p.checker.program->files[0].content =
        "import sys\nopen(sys.argv[3] + 'score.txt', 'w').write('1.5')\nsys.exit(42)\n";
    const auto bad_score = w.Python(p, kSumPy);
    CHECK(bad_score.verdict == TestVerdict::kInternalError);
    CHECK_THAT(bad_score.tests[0].feedback, Catch::Contains("score.txt"));
  }
}

TEST_CASE("an interactive problem: guess the number", "[grading]") {
  World w;
  Problem p = Sum();
  p.id = "guess";
  // The submission's wall clock also runs while the interactor starts and answers: room for
  // a loaded machine (2 s CPU, so 4 s wall).
  p.limits.time_limit_s = 2;
  p.tests = {Test("sample/1", "37\n", "", true), Test("secret/1", "1000\n", ""),
             Test("secret/2", "1\n", "")};
  // The interactor reads the secret from the input file and answers each guess; more than
  // 12 guesses, or nonsense, is a wrong answer.
  p.interactor = HelperProgram{
      "python",
      {File("interactor.py",
            "import sys\nsecret = int(open(sys.argv[1]).read())\n"
            "print('guess a number from 1 to 1000', flush=True)\n"
            "for n in range(12):\n"
            "    line = sys.stdin.readline()\n"
            "    if not line: sys.exit(43)\n"
            "    g = int(line)\n"
            "    if g == secret:\n"
            "        print('correct', flush=True)\n"
            "        open(sys.argv[3] + 'judgemessage.txt', 'w').write(f'{n + 1} guesses')\n"
            "        sys.exit(42)\n"
            "    print('higher' if g < secret else 'lower', flush=True)\n"
            "sys.exit(43)\n")}};
  const char* search =
      "import sys\ninput()\nlo, hi = 1, 1000\nwhile True:\n    mid = (lo + hi) // 2\n"
      "    print(mid, flush=True)\n    a = input()\n    print('debug', mid, file=sys.stderr)\n"
      "    if a == 'correct': break\n    if a == 'higher': lo = mid + 1\n    else: hi = mid - 1\n";
  const auto right = w.Python(p, search);
  CHECK(right.verdict == TestVerdict::kAccepted);
  REQUIRE(right.tests.size() == 3);
  CHECK_THAT(right.tests[0].output, Catch::StartsWith("500\n"));  // stderr is not in the pipe
  CHECK_THAT(right.tests[0].output, !Catch::Contains("debug"));
  CHECK_THAT(right.tests[0].feedback, Catch::EndsWith("guesses"));

  // Counting up: the interactor gives up after 12 guesses (43); the submission then crashes
  // on end of input, which stays a wrong answer (the interactor hung up first).
  const auto linear = w.Python(p,
                               "input()\ni = 1\nwhile True:\n    print(i, flush=True)\n"
                               "    if input() == 'correct': break\n    i += 1\n");
  CHECK(linear.verdict == TestVerdict::kWrongAnswer);

  // Both sides waiting to read: ends at the submission's wall limit.
  const auto stuck = w.Python(p, "input()\ninput()\n");
  CHECK(stuck.verdict == TestVerdict::kTimeLimitExceeded);

  // Guessing right and then crashing.
  const auto crash = w.Python(p, std::string(search) + "sys.exit(4)\n");
  CHECK(crash.verdict == TestVerdict::kRuntimeError);
}

TEST_CASE("hidden tests stay hidden in the submitter's view and its JSON", "[grading]") {
  World w;
  Problem p = Sum();
  p.tests = {Test("sample/1", "1 2\n", "3\n", true), Test("secret/1", "4000 4321\n", "8321\n")};
  // Prints its input back, so a leak of the output would show the hidden input.
  const auto report = w.Python(p, "import sys\nx = sys.stdin.read()\nprint(x)\nsys.exit(7)\n");
  CHECK(report.tests[1].verdict == TestVerdict::kRuntimeError);
  const auto view = SubmitterView(report);
  CHECK(view.tests[0].output == "1 2\n\n");
  CHECK(view.tests[1].output.empty());
  CHECK(view.tests[1].feedback.empty());
  CHECK_FALSE(view.tests[1].exit_code);
  CHECK(view.tests[1].verdict == TestVerdict::kRuntimeError);
  const std::string json = GradeReportToJson(view);
  CHECK(json.find("4321") == std::string::npos);
  CHECK(json.find("8321") == std::string::npos);
  CHECK(json.find("\"secret/1\"") != std::string::npos);

  // A custom checker's feedback about a hidden test stays with the judge.
  p.checker.kind = CheckerKind::kCustom;
  p.checker.program =
      HelperProgram{"bash", {File("check.sh", "cat \"$2\" > \"$3/judgemessage.txt\"\nexit 43\n")}};
  const auto checked = w.Python(p, "print(0)\n");
  CHECK(checked.tests[1].feedback == "8321");
  CHECK(GradeReportToJson(SubmitterView(checked)).find("8321") == std::string::npos);
}

TEST_CASE("a report survives JSON both ways and bad JSON is refused", "[grading]") {
  World w;
  const auto report = w.Python(Sum(), "input()\nprint(3)\n");
  const auto back = GradeReportFromJson(GradeReportToJson(report));
  REQUIRE(back.has_value());
  CHECK(*back == report);
  CHECK(GradeReportFromJson("[]").error().code() == Error::Code::kInvalidArgument);
  CHECK(GradeReportFromJson("{\"problem\":1}").error().code() == Error::Code::kInvalidArgument);
  std::string bad_verdict = GradeReportToJson(report);
  bad_verdict.replace(bad_verdict.find("wrong_answer"), 12, "nearly_right");
  CHECK(GradeReportFromJson(bad_verdict).error().code() == Error::Code::kInvalidArgument);
  CHECK(TestVerdictName(ParseTestVerdict("memory_limit_exceeded").value()) ==
        "memory_limit_exceeded");
}

TEST_CASE("a prepared program compiles once and runs isolated, in a fresh pod each time",
          "[grading]") {
  World w;
  PrepareRequest request;
  request.files = {File("main.c",
                        "#include <stdio.h>\nint main(void){ FILE *f = fopen(\"/tmp/left\", \"r\");"
                        " printf(\"%s\\n\", f ? \"seen\" : \"clean\"); f = fopen(\"/tmp/left\", "
                        "\"w\"); fputs(\"x\", f); return 0; }\n")};
  request.prefetch = 1;
  request.files.push_back(File("it's a helper.c", "int helper(void) { return 1; }\n"));
  auto program = w.runner->Prepare(request).value();
  REQUIRE(program->ready());
  // What ran is recorded as argv: a file name with quotes and spaces is one argument.
  CHECK(program->compile().compile_command ==
        std::vector<std::string>{"gcc", "-O2", "-pipe", "-std=gnu17", "-o", ".codeyard-main",
                                 "main.c", "it's a helper.c", "-lm"});
  for (int i = 0; i < 3; ++i) {
    const auto run = program->Run(RunInput{}).value();
    CHECK(run.verdict == Verdict::kOk);
    CHECK(run.stdout_data == "clean\n");
  }
  RunRequest bad;
  bad.files = {File("../escape.py", "print(1)")};
  PrepareRequest bad_prepare;
  bad_prepare.files = bad.files;
  CHECK(w.runner->Prepare(bad_prepare).error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("bad grading requests are errors, not verdicts", "[grading]") {
  World w;
  Submission cobol{"cobol", {File("main.cob", "x")}};
  CHECK(Grade(*w.runner, Sum(), cobol).error().code() == Error::Code::kInvalidArgument);
  Submission empty{"python", {}};
  CHECK(Grade(*w.runner, Sum(), empty).error().code() == Error::Code::kInvalidArgument);
  Problem no_tests = Sum();
  no_tests.tests.clear();
  Submission ok{"python", {File("main.py", kSumPy)}};
  CHECK(Grade(*w.runner, no_tests, ok).error().code() == Error::Code::kInvalidArgument);
}
