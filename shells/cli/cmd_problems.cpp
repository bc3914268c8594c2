// `codeyard problems import PATH... [--data DIR | --storage URI] [--time-limit S]`,
// `codeyard problems export ID DIR [--format kattis|codeyard]` and `codeyard problems list`:
// problem packages in and out of the platform's storage. Import prints one line per problem.
// A package that fixes no time limit gets --time-limit, or else one computed as Kattis does
// (ComputeTimeLimit) from its accepted submissions, each run on every test in a fresh pod.
#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "codeyard/platform.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/run.hpp"
#include "codeyard/services.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

// Running an accepted submission to time it: a generous cap, so a slow reference solution is
// measured rather than cut off.
constexpr double kMeasureCapS = 20.0;

struct ProblemFlags {
  std::vector<std::string> paths;
  double time_limit_s = 0;  // 0: not given
  std::string id;
  std::string dir;
  std::string format = "kattis";
  std::string executor_uri;
  bool json = false;
};

// The slowest CPU time of any accepted submission on any test, in seconds.
double SlowestAccepted(Services& services, const ProblemPackage& package) {
  const Problem& problem = package.problem;
  if (problem.interactor) {
    Raise(Error(Error::Code::kInvalidArgument,
                "problem " + problem.id +
                    ": an interactive package without a fixed time limit needs --time-limit"));
  }
  double slowest = -1;
  for (const ExampleSubmission& sub : package.submissions) {
    if (sub.expected_verdict != "accepted") continue;
    auto language = ParseLanguage(sub.language);
    if (!language) Raise(language.error().WithContext("submission " + sub.name));
    for (const TestCase& test : problem.tests) {
      RunRequest request;
      request.files = sub.files;
      request.language = *language;
      request.stdin_data = test.input;
      request.limits = WithTimeLimit(request.limits, kMeasureCapS, 0);
      request.limits.memory_bytes = problem.limits.memory_bytes;
      request.limits.output_bytes = std::max(problem.limits.output_bytes, uint64_t{1} << 20);
      auto result = services.runner().Run(request);
      if (!result) Raise(result.error().WithContext("running " + sub.name));
      if (result->verdict != Verdict::kOk) {
        Raise(Error(Error::Code::kFailedPrecondition,
                    "problem " + problem.id + ": accepted submission " + sub.name + " got " +
                        std::string(VerdictName(result->verdict)) + " on test " + test.name +
                        "; give --time-limit or fix the package"));
      }
      slowest = std::max(slowest, static_cast<double>(result->status.cpu_ms) / 1000.0);
    }
  }
  if (slowest < 0) {
    Raise(Error(Error::Code::kInvalidArgument,
                "problem " + problem.id +
                    ": no fixed time limit and no accepted submission to compute one; give "
                    "--time-limit"));
  }
  return slowest;
}

void Import(const ProblemFlags& flags, const CommonOptions& common) {
  const Config config = common.Load();
  // Read every package first: a bad one stops the import before anything is stored.
  std::vector<ProblemPackage> packages;
  const bool tty = StderrIsTty();
  for (const std::string& path : flags.paths) {
    if (tty)
      std::fprintf(stderr, "reading %zu/%zu: %s\n", packages.size() + 1, flags.paths.size(),
                   path.c_str());
    auto package = ImportPackage(path, PackageCapsFrom(config));
    if (!package) Raise(package.error());
    packages.push_back(std::move(*package));
  }
  std::shared_ptr<Services> services;  // opened only to time accepted submissions
  const std::shared_ptr<Platform> platform = OpenStorage(config);
  Problems problems(platform);
  for (ProblemPackage& package : packages) {
    std::string how;
    if (package.fixed_time_limit_s) {
      how = "fixed by the package";
    } else if (flags.time_limit_s > 0) {
      package.problem.limits.time_limit_s = flags.time_limit_s;
      how = "given";
    } else {
      if (!services) {
        Options options;
        options.storage_uri = "sqlite::memory:";
        options.executor_uri =
            flags.executor_uri.empty() ? config.executor_uri : flags.executor_uri;
        options.logger = std::make_shared<Logger>(std::max(config.log_level, LogLevel::kWarn));
        ServiceOptions service_options = ServiceOptionsFrom(config);
        service_options.runner.pool_size = 0;
        service_options.start_background = false;
        auto opened = Services::Open(options, std::move(service_options));
        if (!opened) Raise(opened.error());
        services = std::move(*opened);
      }
      const double slowest = SlowestAccepted(*services, package);
      package.problem.limits.time_limit_s = ComputeTimeLimit(package, slowest);
      std::ostringstream text;
      text << "computed from the slowest accepted run, " << slowest << " s";
      how = text.str();
    }
    auto stored = problems.PutAsOperator(package.problem);
    if (!stored) Raise(stored.error());
    int64_t hidden = 0;
    for (const TestCase& t : stored->tests) hidden += t.is_public ? 0 : 1;
    std::printf("imported %s: \"%s\" (%s, %zu tests, %lld hidden, time limit %g s %s)\n",
                stored->id.c_str(), stored->title.c_str(),
                std::string(PackageFormatName(package.format)).c_str(), stored->tests.size(),
                static_cast<long long>(hidden), stored->limits.time_limit_s, how.c_str());
  }
}

void Export(const ProblemFlags& flags, const CommonOptions& common) {
  const Config config = common.Load();
  Problems problems(OpenStorage(config));
  auto problem = problems.ForGrading(flags.id);
  if (!problem) Raise(problem.error());
  ProblemPackage package;
  package.problem = std::move(*problem);
  package.fixed_time_limit_s = package.problem.limits.time_limit_s;
  auto written = flags.format == "codeyard" ? ExportProblemFolder(package, flags.dir)
                                            : ExportKattisPackage(package, flags.dir);
  if (!written) Raise(written.error());
  std::printf("exported %s to %s (%s)\n", flags.id.c_str(), flags.dir.c_str(),
              flags.format.c_str());
}

void List(const ProblemFlags& flags, const CommonOptions& common) {
  const Config config = common.Load();
  Problems problems(OpenStorage(config));
  ProblemListRequest request;
  request.page.limit = kMaxPageLimit;
  boost::json::array items;
  for (;;) {
    // The operator holds the storage: every problem, private ones included.
    auto page = problems.ListAsOperator(request);
    if (!page) Raise(page.error());
    for (const ProblemSummary& p : page->items) {
      if (flags.json) {
        boost::json::object o{{"id", p.id},
                              {"title", p.title},
                              {"public_tests", p.public_tests},
                              {"hidden_tests", p.hidden_tests}};
        o["level"] = p.tags.level ? boost::json::value(*p.tags.level) : nullptr;
        items.push_back(std::move(o));
        continue;
      }
      std::printf("%s\t%s\t%lld tests (%lld hidden)\t%s\n", p.id.c_str(),
                  p.tags.level ? ("level " + std::to_string(*p.tags.level)).c_str() : "-",
                  static_cast<long long>(p.public_tests) + static_cast<long long>(p.hidden_tests),
                  static_cast<long long>(p.hidden_tests), p.title.c_str());
    }
    const auto& next_cursor = page->next_cursor;
    if (!next_cursor) break;
    request.page.cursor = *next_cursor;
  }
  if (flags.json) std::cout << boost::json::serialize(items) << "\n";
}

}  // namespace

void AddProblemsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("problems", "import, export and list problems");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  codeyard problems import ./packages/* --data /var/lib/cy\n"
      "  codeyard problems list --json --data /var/lib/cy\n"
      "  codeyard problems export twice ./twice-copy --data /var/lib/cy");
  auto flags = std::make_shared<ProblemFlags>();
  auto common = std::make_shared<CommonOptions>();
  const auto storage_options = [&](CLI::App* sub) { common->AddTo(*sub); };

  auto* import = cmd->add_subcommand(
      "import", "import Kattis/ICPC packages or our problem folders (folders or .zip files)");
  storage_options(import);
  import->footer(
      "Examples:\n"
      "  codeyard problems import ./twice ./hello.zip --data /var/lib/cy\n"
      "  codeyard problems import ./kattis/* --time-limit 2 --data /var/lib/cy");
  import->add_option("paths", flags->paths, "package folders or zips; the id is the base name")
      ->required();
  import
      ->add_option("--time-limit", flags->time_limit_s,
                   "time limit in seconds for packages that fix none (default: computed from "
                   "their accepted submissions)")
      ->check(CLI::Range(0.01, 60.0));
  import->add_option("--executor", flags->executor_uri,
                     "executor URI for timing accepted submissions (default: executor.uri)");
  import->callback([flags, common] { Import(*flags, *common);
});

auto* exp = cmd->add_subcommand("export", "write a stored problem as a package");
storage_options(exp);
exp->footer(
    "Examples:\n"
    "  codeyard problems export twice ./twice-kattis --data /var/lib/cy\n"
    "  codeyard problems export twice ./twice-folder --format codeyard --data /var/lib/cy");
exp->add_option("id", flags->id, "problem id")->required();
exp->add_option("dir", flags->dir, "folder to create (absent or empty)")->required();
exp->add_option("--format", flags->format, "kattis (default) or codeyard")
    ->check(CLI::IsMember({"kattis", "codeyard"}));
exp->callback([flags, common] { Export(*flags, *common); });

auto* list = cmd->add_subcommand("list", "list stored problems");
storage_options(list);
list->footer(
    "Examples:\n"
    "  codeyard problems list --data /var/lib/cy\n"
    "  codeyard problems list --json --data /var/lib/cy");
list->add_flag("--json", flags->json, "print a JSON array of problems");
list->callback([flags, common] { List(*flags, *common); });
}  // namespace codeyard::cli

}  // namespace codeyard::cli
