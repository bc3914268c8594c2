// Writing a Problem as a legacy-layout Kattis package that ImportKattisPackage reads back
// equal (docs/problems.md lists what Kattis cannot express and what is written instead).
#include <algorithm>
#include <cmath>
#include <map>

#include "codeyard/problem_packages.hpp"
#include "core/problems/packages/programs.hpp"
#include "core/problems/packages/tree.hpp"
#include "core/problems/packages/yaml_util.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using packages::FormatNumber;
using packages::Tree;

std::string Flags(const CheckerSpec& checker) {
  std::string flags;
  const auto add = [&](const std::string& f) { flags += (flags.empty() ? "" : " ") + f; };
  switch (checker.kind) {
    case CheckerKind::kExact:
    case CheckerKind::kTrimmed:
      add("case_sensitive");
      add("space_change_sensitive");
      break;
    case CheckerKind::kFloat: {
      if (checker.case_sensitive) add("case_sensitive");
      const bool neither = checker.absolute_tolerance <= 0 && checker.relative_tolerance <= 0;
      // With neither set the model means 1e-6 of each; Kattis needs the number written.
      const double abs = neither ? 1e-6 : checker.absolute_tolerance;
      const double rel = neither ? 1e-6 : checker.relative_tolerance;
      if (abs > 0 || neither) add("float_absolute_tolerance " + FormatNumber(abs));
      if (rel > 0 || neither) add("float_relative_tolerance " + FormatNumber(rel));
      break;
    }
    case CheckerKind::kTokens:
    case CheckerKind::kUnorderedLines:
    case CheckerKind::kCustom:
      if (checker.case_sensitive) add("case_sensitive");
      break;
  }
  return flags;
}

// Where a test goes under data/: its own name when that is a Kattis path of the right kind
// ("sample/x" public and ungrouped, "secret/x" or "secret/<group>/x" hidden), else a name
// made from it.
std::string TestPath(const TestCase& test) {
  const auto flat = [](std::string name) {
    std::replace(name.begin(), name.end(), '/', '-');
    return name;
  };
  if (test.is_public) {
    if (test.group.empty() && test.name.starts_with("sample/") &&
        test.name.find('/', 7) == std::string::npos) {
      return test.name;
    }
    return "sample/" + flat(test.name);
  }
  if (test.group.empty()) {
    if (test.name.starts_with("secret/") && test.name.find('/', 7) == std::string::npos) {
      return test.name;
    }
    return "secret/" + flat(test.name);
  }
  const std::string prefix = "secret/" + test.group + "/";
  if (test.name.starts_with(prefix)) return test.name;
  return prefix + flat(test.name);
}

std::string MiB(uint64_t bytes) {
  return FormatNumber(static_cast<double>(bytes) / static_cast<double>(1 << 20));
}

}  // namespace

Result<void> ExportKattisPackage(const ProblemPackage& package, const std::filesystem::path& dir) {
  const Problem& problem = package.problem;
  CY_CHECK(ValidateProblem(problem));
  Tree tree;
  tree.name = problem.id;

  YAML::Emitter yaml;
  yaml << YAML::BeginMap;
  yaml << YAML::Key << "problem_format_version" << YAML::Value << "legacy";
  yaml << YAML::Key << "name" << YAML::Value << problem.title;
  if (problem.scoring) yaml << YAML::Key << "type" << YAML::Value << "scoring";
  const bool custom = problem.checker.kind == CheckerKind::kCustom || problem.interactor;
  std::string validation = custom ? "custom" : "default";
  if (problem.interactor) validation += " interactive";
  if (problem.scoring && custom) validation += " score";
  yaml << YAML::Key << "validation" << YAML::Value << validation;
  const std::string flags = custom ? package.validator_flags : Flags(problem.checker);
  if (!flags.empty()) yaml << YAML::Key << "validator_flags" << YAML::Value << flags;
  yaml << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  yaml << YAML::Key << "memory" << YAML::Value << MiB(problem.limits.memory_bytes);
  yaml << YAML::Key << "output" << YAML::Value << MiB(problem.limits.output_bytes);
  yaml << YAML::Key << "time_multiplier" << YAML::Value << FormatNumber(package.time_multiplier);
  yaml << YAML::Key << "time_safety_margin" << YAML::Value
       << FormatNumber(package.time_safety_margin);
  yaml << YAML::EndMap;
  if (!problem.tags.topics.empty()) {
    std::string keywords;
    for (const std::string& t : problem.tags.topics) keywords += (keywords.empty() ? "" : " ") + t;
    yaml << YAML::Key << "keywords" << YAML::Value << keywords;
  }
  yaml << YAML::EndMap;
  tree.files["problem.yaml"] = std::string(yaml.c_str()) + "\n";
  tree.files[".timelimit"] = FormatNumber(problem.limits.time_limit_s) + "\n";

  tree.files["problem_statement/problem.en.md"] = problem.statement_markdown;
  for (const ProblemAsset& asset : problem.assets) {
    const bool attachment = asset.path.starts_with("attachments/");
    tree.files[attachment ? asset.path : "problem_statement/" + asset.path] = asset.content;
  }

  // Tests outside groups share one score in Kattis (secret/testdata.yaml accept_score).
  std::optional<double> ungrouped;
  for (const TestCase& test : problem.tests) {
    const std::string path = "data/" + TestPath(test);
    if (tree.files.contains(path + ".in")) {
      return Fail(Error::Code::kInvalidArgument,
                  "export: tests '" + test.name + "' and another both map to " + path);
    }
    tree.files[path + ".in"] = test.input;
    tree.files[path + ".ans"] = test.expected_output;
    if (!test.is_public && test.group.empty() && !ungrouped) ungrouped = test.points;
  }
  const auto group_yaml = [](double points) {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "on_reject" << YAML::Value << "break";
    out << YAML::Key << "grader_flags" << YAML::Value << "min";
    out << YAML::Key << "accept_score" << YAML::Value << FormatNumber(points);
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
  };
  if (ungrouped && *ungrouped != 1)
    tree.files["data/secret/testdata.yaml"] = group_yaml(*ungrouped);
  for (const TestGroup& group : problem.groups) {
    tree.files["data/secret/" + group.name + "/testdata.yaml"] = group_yaml(group.points);
  }

  if (problem.interactor) {
    packages::WriteProgram(tree, "output_validators/interactor/", *problem.interactor);
  } else if (problem.checker.kind == CheckerKind::kCustom && problem.checker.program) {
    packages::WriteProgram(tree, "output_validators/checker/", *problem.checker.program);
  }
  packages::WriteSubmissions(tree, package.submissions, /*kattis=*/true);
  return packages::WriteTree(tree, dir);
}

}  // namespace codeyard
