// Reading Kattis / ICPC problem packages, legacy and 2023-07 (see problem_packages.hpp for the
// mapping onto the Problem model, docs/problems.md for what is left out).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "codeyard/problem_packages.hpp"
#include "core/problems/packages/formats.hpp"
#include "core/problems/packages/latex.hpp"
#include "core/problems/packages/programs.hpp"
#include "core/problems/packages/tree.hpp"
#include "core/problems/packages/yaml_util.hpp"
#include "core/try.hpp"
#include "core/words.hpp"

namespace codeyard {
namespace {

using packages::FileError;
using packages::OptNumber;
using packages::OptString;
using packages::ParseYaml;
using packages::Tree;

constexpr std::string_view kProblemYaml = "problem.yaml";

// A string or a sequence of strings, as a list.
Result<std::vector<std::string>> StringList(const Tree& tree, std::string_view path,
                                            const YAML::Node& node, const char* key,
                                            bool split_words) {
  std::vector<std::string> out;
  if (!node.IsMap() || !node[key] || node[key].IsNull()) return out;
  const YAML::Node value = node[key];
  if (value.IsScalar()) return split_words ? Words(value.Scalar()) : std::vector{value.Scalar()};
  if (!value.IsSequence()) {
    return Fail(FileError(tree, path, std::string(key) + " must be a string or a list"));
  }
  for (const YAML::Node& item : value) {
    if (!item.IsScalar()) {
      return Fail(FileError(tree, path, std::string(key) + " must list strings"));
    }
    out.push_back(item.Scalar());
  }
  return out;
}

// Kattis' default output validator flags as one of our checkers.
Result<CheckerSpec> DefaultValidator(const Tree& tree, std::string_view where,
                                     const std::vector<std::string>& flags) {
  CheckerSpec checker;
  checker.kind = CheckerKind::kTokens;
  checker.case_sensitive = false;
  bool space_sensitive = false;
  bool floats = false;
  for (size_t i = 0; i < flags.size(); ++i) {
    const std::string& flag = flags[i];
    if (flag == "case_sensitive") {
      checker.case_sensitive = true;
    } else if (flag == "space_change_sensitive") {
      space_sensitive = true;
    } else if (flag == "float_tolerance" || flag == "float_relative_tolerance" ||
               flag == "float_absolute_tolerance") {
      if (i + 1 >= flags.size()) {
        return Fail(FileError(tree, where, "validator flag " + flag + " needs a number"));
      }
      char* end = nullptr;
      const double eps = std::strtod(flags[i + 1].c_str(), &end);
      if (end == flags[i + 1].c_str() || *end != '\0' || !(eps >= 0) || !std::isfinite(eps)) {
        return Fail(FileError(tree, where, "validator flag " + flag + " needs a number >= 0"));
      }
      ++i;
      floats = true;
      if (flag != "float_absolute_tolerance") checker.relative_tolerance = eps;
      if (flag != "float_relative_tolerance") checker.absolute_tolerance = eps;
    } else {
      return Fail(FileError(tree, where, "unknown default validator flag \"" + flag + "\""));
    }
  }
  if (floats) {
    checker.kind = CheckerKind::kFloat;
  } else if (space_sensitive) {
    checker.kind = CheckerKind::kTrimmed;
    checker.case_sensitive = true;
  }
  return checker;
}

// The statement: Markdown kept, LaTeX made readable, a PDF kept as an asset and named.
Result<void> ReadStatement(const Tree& tree, ProblemPackage& package, std::string& tex_name) {
  std::string dir;
  for (std::string_view d : {"statement/", "problem_statement/"}) {
    if (tree.HasDir(d)) dir = std::string(d);
  }
  if (dir.empty()) return {};
  const std::vector<std::string> files = tree.Under(dir);
  std::string chosen;
  for (std::string_view want : {"problem.en.md", "problem.md", "problem.en.tex", "problem.tex",
                                "problem.en.pdf", "problem.pdf"}) {
    if (tree.Find(dir + std::string(want))) {
      chosen = dir + std::string(want);
      break;
    }
  }
  if (chosen.empty()) {  // another language only: the first one, Markdown before LaTeX
    for (std::string_view ext : {".md", ".tex", ".pdf"}) {
      for (const std::string& f : files) {
        const std::string base = f.substr(dir.size());
        if (chosen.empty() && base.starts_with("problem.") && base.ends_with(ext) &&
            base.find('/') == std::string::npos) {
          chosen = f;
        }
      }
    }
  }
  Problem& problem = package.problem;
  if (chosen.ends_with(".md")) {
    problem.statement_markdown = *tree.Find(chosen);
  } else if (chosen.ends_with(".tex")) {
    packages::LatexStatement statement = packages::LatexToMarkdown(*tree.Find(chosen));
    problem.statement_markdown = std::move(statement.markdown);
    tex_name = std::move(statement.problem_name);
  } else if (chosen.ends_with(".pdf")) {
    problem.statement_markdown = "The statement is a PDF: [" + chosen.substr(dir.size()) + "](" +
                                 chosen.substr(dir.size()) + ")\n";
  }
  for (const std::string& f : files) {
    const std::string base = f.substr(dir.size());
    const bool statement_text = base.starts_with("problem.") &&
                                base.find('/') == std::string::npos &&
                                (base.ends_with(".md") || base.ends_with(".tex"));
    if (!statement_text) problem.assets.push_back({base, *tree.Find(f)});
  }
  for (const std::string& f : tree.Under("attachments/")) {
    problem.assets.push_back({f, *tree.Find(f)});
  }
  return {};
}

// testdata.yaml (legacy) or test_group.yaml (2023-07) of the group folder `dir` ("data/
// secret/g1/"): its file name, or empty.
std::string GroupYamlPath(const Tree& tree, const std::string& dir) {
  for (std::string_view name : {"testdata.yaml", "test_group.yaml"}) {
    if (tree.Find(dir + std::string(name))) return dir + std::string(name);
  }
  return {};
}

// A group's points: `accept_score` (legacy) or `scoring.score` (2023-07); nullopt when unset.
Result<std::optional<double>> GroupScore(const Tree& tree, const std::string& yaml_path) {
  if (yaml_path.empty()) return std::optional<double>();
  CY_TRY(const YAML::Node node, ParseYaml(tree, yaml_path));
  CY_TRY(std::optional<double> score, OptNumber(tree, yaml_path, node, "accept_score"));
  if (!score && node.IsMap() && node["scoring"] && node["scoring"].IsMap()) {
    CY_TRY(score, OptNumber(tree, yaml_path, node["scoring"], "score"));
  }
  if (score && *score < 0) return Fail(FileError(tree, yaml_path, "a score must be >= 0"));
  return score;
}

// Validator arguments of the data root or the secret group: `output_validator_flags`
// (legacy, a string) or `output_validator_args` (2023-07, a list or a string).
Result<std::vector<std::string>> DataValidatorFlags(const Tree& tree) {
  for (const std::string dir : {"data/", "data/secret/"}) {
    const std::string path = GroupYamlPath(tree, dir);
    if (path.empty()) continue;
    CY_TRY(const YAML::Node node, ParseYaml(tree, path));
    for (const char* key : {"output_validator_flags", "output_validator_args"}) {
      CY_TRY(std::vector<std::string> flags, StringList(tree, path, node, key, true));
      if (!flags.empty()) return flags;
    }
  }
  return std::vector<std::string>();
}

Result<void> ReadTests(const Tree& tree, ProblemPackage& package) {
  Problem& problem = package.problem;
  const std::string secret_yaml = GroupYamlPath(tree, "data/secret/");
  CY_TRY(std::optional<double> secret_score, GroupScore(tree, secret_yaml));
  if (!secret_score) {
    CY_TRY(secret_score, GroupScore(tree, GroupYamlPath(tree, "data/")));
  }
  std::set<std::string> groups;
  for (const std::string& file : tree.Under("data/")) {
    if (!file.ends_with(".in")) continue;
    const std::string base = file.substr(0, file.size() - 3);
    const std::string name = base.substr(std::string_view("data/").size());
    const bool sample = name.starts_with("sample/");
    if (!sample && !name.starts_with("secret/")) continue;  // invalid_input/, valid_output/, ...
    const std::string* answer = tree.Find(base + ".ans");
    if (answer == nullptr) {
      return Fail(FileError(tree, file, "has no answer file " + base.substr(5) + ".ans"));
    }
    TestCase test;
    test.name = name;
    test.input = *tree.Find(file);
    test.expected_output = *answer;
    test.is_public = sample;
    test.points = 0;
    if (!sample) {
      const std::string inside = name.substr(std::string_view("secret/").size());
      const size_t slash = inside.find('/');
      if (slash == std::string::npos) {
        test.points = secret_score.value_or(1);
      } else {
        test.group = inside.substr(0, slash);
        if (groups.insert(test.group).second) {
          CY_TRY(const std::optional<double> points,
                 GroupScore(tree, GroupYamlPath(tree, "data/secret/" + test.group + "/")));
          problem.groups.push_back({test.group, points.value_or(1)});
        }
      }
    }
    problem.tests.push_back(std::move(test));
  }
  if (problem.tests.empty()) {
    return Fail(FileError(tree, "data/", "no test case (data/sample/*.in, data/secret/*.in)"));
  }
  return {};
}

// The one output validator: output_validator/ (2023-07) or output_validators/<name> (legacy).
Result<std::optional<HelperProgram>> ReadValidator(const Tree& tree) {
  if (tree.HasDir("output_validator/")) {
    CY_TRY(HelperProgram program, packages::ReadProgram(tree, "output_validator/"));
    return std::optional<HelperProgram>(std::move(program));
  }
  std::set<std::string> entries;
  for (const std::string& file : tree.Under("output_validators/")) {
    const std::string rel = file.substr(std::string_view("output_validators/").size());
    const size_t slash = rel.find('/');
    entries.insert(slash == std::string::npos ? rel : rel.substr(0, slash + 1));
  }
  if (entries.empty()) return std::optional<HelperProgram>();
  if (entries.size() > 1) {
    return Fail(FileError(tree, "output_validators/",
                          "more than one output validator; keep one program (a file or a "
                          "folder)"));
  }
  CY_TRY(HelperProgram program,
         packages::ReadProgram(tree, "output_validators/" + *entries.begin()));
  return std::optional<HelperProgram>(std::move(program));
}

Result<void> ReadLimits(const Tree& tree, const YAML::Node& yaml, ProblemPackage& package,
                        bool modern) {
  const std::string where(kProblemYaml);
  if (!yaml.IsMap() || !yaml["limits"]) return {};
  const YAML::Node limits = yaml["limits"];
  if (!limits.IsMap()) return Fail(FileError(tree, where, "limits must be a map"));
  const auto positive = [&](const char* key) -> Result<std::optional<double>> {
    CY_TRY(const std::optional<double> v, OptNumber(tree, where, limits, key));
    if (v && !(*v > 0)) {
      return Fail(FileError(tree, where, std::string("limits.") + key + " must be > 0"));
    }
    return v;
  };
  CY_TRY(const std::optional<uint64_t> memory,
         packages::OptMebibytes(tree, where, limits, "memory", "limits.memory"));
  if (memory) package.problem.limits.memory_bytes = *memory;
  CY_TRY(const std::optional<uint64_t> output,
         packages::OptMebibytes(tree, where, limits, "output", "limits.output"));
  if (output) package.problem.limits.output_bytes = *output;
  CY_TRY(const std::optional<double> time_limit, positive("time_limit"));
  if (time_limit) package.fixed_time_limit_s = *time_limit;
  CY_TRY(const std::optional<double> resolution, positive("time_resolution"));
  if (resolution) package.time_resolution_s = *resolution;
  // 2023-07: time_multipliers {ac_to_time_limit, time_limit_to_tle}; some drafts spell it
  // time_multiplier with the same map. Legacy: time_multiplier and time_safety_margin.
  for (const char* key : {"time_multipliers", "time_multiplier"}) {
    if (limits[key] && limits[key].IsMap()) {
      CY_TRY(const std::optional<double> ac,
             OptNumber(tree, where, limits[key], "ac_to_time_limit"));
      CY_TRY(const std::optional<double> tle,
             OptNumber(tree, where, limits[key], "time_limit_to_tle"));
      if ((ac && *ac < 1) || (tle && *tle < 1)) {
        return Fail(FileError(tree, where, std::string("limits.") + key + " values must be >= 1"));
      }
      if (ac) package.time_multiplier = *ac;
      if (tle) package.time_safety_margin = *tle;
      return {};
    }
  }
  if (!modern || limits["time_multiplier"]) {
    CY_TRY(const std::optional<double> multiplier, positive("time_multiplier"));
    if (multiplier) package.time_multiplier = *multiplier;
    CY_TRY(const std::optional<double> margin, positive("time_safety_margin"));
    if (margin) package.time_safety_margin = *margin;
  }
  return {};
}

}  // namespace

std::string_view PackageFormatName(PackageFormat format) noexcept {
  switch (format) {
    case PackageFormat::kKattisLegacy:
      return "kattis-legacy";
    case PackageFormat::kKattis2023:
      return "kattis-2023-07";
    case PackageFormat::kCodeyard:
      return "codeyard";
  }
  return "kattis-legacy";
}

Result<ProblemPackage> ImportKattisPackage(const std::filesystem::path& path,
                                           const PackageCaps& caps) {
  CY_TRY(const Tree tree, packages::LoadTree(path, caps));
  return packages::ImportKattisTree(tree);
}

Result<ProblemPackage> packages::ImportKattisTree(const Tree& tree) {
  const std::string where(kProblemYaml);
  if (!tree.Find(kProblemYaml)) return Fail(FileError(tree, where, "is missing"));
  ProblemPackage package;
  Problem& problem = package.problem;
  problem.id = tree.name;
  CY_TRY(const YAML::Node yaml, ParseYaml(tree, kProblemYaml));

  CY_TRY(const std::optional<std::string> version,
         OptString(tree, where, yaml, "problem_format_version"));
  const bool modern = version && *version != "legacy" && *version != "legacy-icpc";
  package.format = modern ? PackageFormat::kKattis2023 : PackageFormat::kKattisLegacy;
  if (modern) {
    package.time_multiplier = 2;
    package.time_safety_margin = 1.5;
  }

  // name: a string, or a map of language -> name (English first).
  if (yaml.IsMap() && yaml["name"] && yaml["name"].IsMap()) {
    for (const auto& entry : yaml["name"]) {
      if (!entry.second.IsScalar())
        return Fail(FileError(tree, where, "name values must be strings"));
      const std::string lang = entry.first.Scalar();
      if (problem.title.empty() || lang == "en") problem.title = entry.second.Scalar();
      if (lang == "en") break;
    }
  } else {
    CY_TRY(const std::optional<std::string> name, OptString(tree, where, yaml, "name"));
    if (name) problem.title = *name;
  }

  CY_TRY(const std::vector<std::string> types, StringList(tree, where, yaml, "type", false));
  bool interactive = false;
  for (const std::string& type : types) {
    if (type == "scoring") {
      problem.scoring = true;
    } else if (type == "interactive") {
      interactive = true;
    } else if (type != "pass-fail") {
      return Fail(FileError(tree, where, "problem type \"" + type + "\" is not supported"));
    }
  }
  CY_TRY(const std::optional<std::string> validation, OptString(tree, where, yaml, "validation"));
  bool custom = false;
  if (validation) {
    const std::vector<std::string> words = Words(*validation);
    if (words.empty() || (words.front() != "default" && words.front() != "custom")) {
      return Fail(FileError(tree, where, "validation must start with default or custom"));
    }
    custom = words.front() == "custom";
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i] == "interactive") {
        interactive = true;
      } else if (words[i] != "score") {
        return Fail(FileError(tree, where, "unknown validation word \"" + words[i] + "\""));
      }
    }
  }
  CY_TRY(std::vector<std::string> flags, StringList(tree, where, yaml, "validator_flags", true));
  if (flags.empty()) {
    CY_TRY(flags, DataValidatorFlags(tree));
  }

  CY_CHECK(ReadLimits(tree, yaml, package, modern));
  if (const std::string* fixed = tree.Find(".timelimit")) {
    char* end = nullptr;
    const double seconds = std::strtod(fixed->c_str(), &end);
    if (end == fixed->c_str() || !(seconds > 0)) {
      return Fail(FileError(tree, ".timelimit", "must hold a number of seconds > 0"));
    }
    package.fixed_time_limit_s = seconds;
  }
  if (package.fixed_time_limit_s) problem.limits.time_limit_s = *package.fixed_time_limit_s;

  CY_TRY(problem.tags.topics, StringList(tree, where, yaml, "keywords", true));

  std::string tex_name;
  CY_CHECK(ReadStatement(tree, package, tex_name));
  if (problem.title.empty()) problem.title = tex_name.empty() ? problem.id : tex_name;

  CY_CHECK(ReadTests(tree, package));

  CY_TRY(std::optional<HelperProgram> validator, ReadValidator(tree));
  if (validator && (custom || modern || interactive)) {
    package.validator_flags.clear();
    for (const std::string& f : flags) {
      package.validator_flags += (package.validator_flags.empty() ? "" : " ") + f;
    }
    if (interactive) {
      problem.interactor = std::move(validator);
    } else {
      problem.checker.kind = CheckerKind::kCustom;
      problem.checker.program = std::move(validator);
    }
  } else if (custom || interactive) {
    return Fail(FileError(tree, "output_validators/",
                          interactive ? "an interactive problem needs its interactor here"
                                      : "validation: custom needs the validator program here"));
  } else {
    CY_TRY(problem.checker, DefaultValidator(tree, where, flags));
  }

  CY_TRY(package.submissions, packages::ReadSubmissions(tree));
  if (auto valid = ValidateProblem(problem); !valid) {
    return Fail(
        Error(valid.error().code(), "package " + tree.name + ": " + valid.error().message()));
  }
  return package;
}

}  // namespace codeyard
