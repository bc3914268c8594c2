// Grades one submission against a problem folder (ours or a Kattis package), with the library
// alone: the package is read, the program is compiled and run on every test in sandboxed pods,
// and the per-test verdicts are printed. Exits 0 only when the submission is accepted.
//   build/bin/example_grade_cli examples/problems/sum
//   examples/problems/sum/submissions/accepted/sum.py build/bin/example_grade_cli PROBLEM FILE
//   [TIME_LIMIT_S]   (default: the package's own, else 2 s)
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include <unistd.h>

#include "codeyard/codeyard.hpp"
#include "codeyard/grading.hpp"
#include "codeyard/languages.hpp"
#include "codeyard/problem_packages.hpp"

namespace {

int Fail(const char* what, const codeyard::Error& error) {
  std::fprintf(stderr, "grade_cli: %s: %s\n", what, error.ToString().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PROBLEM_DIR SUBMISSION_FILE [TIME_LIMIT_S]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path file = argv[2];
  auto package = codeyard::ImportPackage(argv[1]);
  if (!package) return Fail("problem", package.error());
  if (argc > 3) {
    package->problem.limits.time_limit_s = std::atof(argv[3]);
  } else if (!package->fixed_time_limit_s) {
    package->problem.limits.time_limit_s = 2;  // the server computes one at import instead
  }
  auto language = codeyard::LanguageFromFileName(file.filename().string());
  if (!language) return Fail("language", language.error());
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::fprintf(stderr, "grade_cli: cannot read %s\n", file.c_str()), 2;
  codeyard::Submission submission;
  submission.language = std::string(codeyard::LanguageName(*language));
  codeyard::FileData source;
  source.path = file.filename().string();
  source.content.assign(std::istreambuf_iterator<char>(in), {});
  submission.files.push_back(std::move(source));

  codeyard::Config config;  // the runner needs no storage of ours: SQLite in a temp dir
  char dir[] = "/tmp/codeyard-grade-XXXXXX";
  if (mkdtemp(dir) == nullptr) return std::perror("mkdtemp"), 2;
  config.data_dir = dir;
  config.dev_mode = true;  // a token secret generated into the temp dir: no logins here
  auto services = codeyard::Services::Open(config);
  if (!services) return Fail("open", services.error());

  codeyard::GradeOptions options;
  if (isatty(2) != 0) {  // a progress line for a person, none in a log
    options.progress = [](size_t done, size_t total) {
      std::fprintf(stderr, "\rtest %zu of %zu", done, total);
      if (done == total) std::fputc('\n', stderr);
    };
  }
  auto report = codeyard::Grade((*services)->runner(), package->problem, submission, options);
  services->reset();  // its pods go first
  std::filesystem::remove_all(dir);
  if (!report) return Fail("grade", report.error());
  if (!report->compile_output.empty()) std::printf("%s\n", report->compile_output.c_str());
  std::printf("%-24s %-22s %8s %10s\n", "test", "verdict", "cpu ms", "memory KiB");
  for (const codeyard::TestReport& t : report->tests) {
    std::printf("%-24s %-22s %8lld %10llu\n", t.name.c_str(),
                std::string(codeyard::TestVerdictName(t.verdict)).c_str(),
                static_cast<long long>(t.time_ms), static_cast<unsigned long long>(t.memory_kb));
  }
  std::printf("%s: %s, score %g of %g\n", report->problem.c_str(),
              std::string(codeyard::TestVerdictName(report->verdict)).c_str(), report->score,
              report->max_score);
  return report->verdict == codeyard::TestVerdict::kAccepted ? 0 : 1;
}
