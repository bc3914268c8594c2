// Our own problem folder format (docs/problems.md has the layout and every key). It holds
// every field of the Problem model, so ExportProblemFolder then ImportProblemFolder is the
// identity on the model.
#include <algorithm>
#include <cmath>
#include <set>

#include "codeyard/problem_packages.hpp"
#include "codeyard/run.hpp"
#include "core/problems/packages/formats.hpp"
#include "core/problems/packages/programs.hpp"
#include "core/problems/packages/tree.hpp"
#include "core/problems/packages/yaml_util.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using packages::FileError;
using packages::FormatNumber;
using packages::OptNumber;
using packages::OptString;
using packages::Tree;

constexpr std::string_view kYaml = "problem.yaml";

bool Reserved(std::string_view path) {
  for (std::string_view dir : {"starter/", "tests/", "checker/", "interactor/", "submissions/"}) {
    if (path.starts_with(dir)) return true;
  }
  return path == "problem.yaml" || path == "statement.md";
}

std::string_view Extension(std::string_view language) {
  auto parsed = ParseLanguage(language);
  if (!parsed) return "";
  switch (*parsed) {
    case Language::kPython:
      return ".py";
    case Language::kNode:
      return ".js";
    case Language::kC:
      return ".c";
    case Language::kCpp:
      return ".cpp";
    case Language::kBash:
      return ".sh";
  }
  return "";
}

Result<bool> OptBool(const Tree& tree, const YAML::Node& map, const char* key, bool fallback) {
  if (!map.IsMap() || !map[key] || map[key].IsNull()) return fallback;
  try {
    return map[key].as<bool>();
  } catch (const YAML::Exception&) {
    return Fail(FileError(tree, kYaml, std::string(key) + " must be true or false"));
  }
}

Result<CheckerSpec> ReadChecker(const Tree& tree, const YAML::Node& yaml) {
  CheckerSpec checker;
  const YAML::Node node = yaml["checker"];
  if (!node) return checker;
  if (!node.IsMap()) return Fail(FileError(tree, kYaml, "checker must be a map"));
  CY_TRY(const std::optional<std::string> kind, OptString(tree, kYaml, node, "kind"));
  if (kind) {
    auto parsed = ParseCheckerKind(*kind);
    if (!parsed) return Fail(FileError(tree, kYaml, "checker.kind: " + parsed.error().message()));
    checker.kind = *parsed;
  }
  CY_TRY(checker.case_sensitive, OptBool(tree, node, "case_sensitive", true));
  CY_TRY(const std::optional<double> abs, OptNumber(tree, kYaml, node, "absolute_tolerance"));
  CY_TRY(const std::optional<double> rel, OptNumber(tree, kYaml, node, "relative_tolerance"));
  checker.absolute_tolerance = abs.value_or(0);
  checker.relative_tolerance = rel.value_or(0);
  if (checker.kind == CheckerKind::kCustom) {
    CY_TRY(HelperProgram program, packages::ReadProgram(tree, "checker/"));
    checker.program = std::move(program);
  }
  return checker;
}

Result<void> ReadTests(const Tree& tree, const YAML::Node& yaml, Problem& problem) {
  if (yaml["groups"]) {
    if (!yaml["groups"].IsSequence()) return Fail(FileError(tree, kYaml, "groups must be a list"));
    for (const YAML::Node& g : yaml["groups"]) {
      CY_TRY(const std::optional<std::string> name, OptString(tree, kYaml, g, "name"));
      CY_TRY(const std::optional<double> points, OptNumber(tree, kYaml, g, "points"));
      if (!name) return Fail(FileError(tree, kYaml, "every group needs a name"));
      problem.groups.push_back({*name, points.value_or(0)});
    }
  }
  std::set<std::string> declared;
  for (const TestGroup& g : problem.groups) declared.insert(g.name);
  const auto load = [&](TestCase& test) -> Result<void> {
    const std::string base = "tests/" + test.name;
    const std::string* input = tree.Find(base + ".in");
    const std::string* output = tree.Find(base + ".out");
    if (input == nullptr || output == nullptr) {
      return Fail(FileError(tree, base + (input ? ".out" : ".in"), "is missing"));
    }
    test.input = *input;
    test.expected_output = *output;
    return {};
  };
  std::set<std::string> listed;
  if (yaml["tests"]) {
    if (!yaml["tests"].IsSequence()) return Fail(FileError(tree, kYaml, "tests must be a list"));
    for (const YAML::Node& t : yaml["tests"]) {
      TestCase test;
      CY_TRY(const std::optional<std::string> name, OptString(tree, kYaml, t, "name"));
      if (!name) return Fail(FileError(tree, kYaml, "every listed test needs a name"));
      test.name = *name;
      CY_TRY(const std::optional<std::string> group, OptString(tree, kYaml, t, "group"));
      test.group = group.value_or("");
      CY_TRY(const std::optional<double> points, OptNumber(tree, kYaml, t, "points"));
      test.points = points.value_or(1);
      CY_TRY(test.is_public, OptBool(tree, t, "public", false));
      CY_CHECK(load(test));
      listed.insert(test.name);
      problem.tests.push_back(std::move(test));
    }
  }
  // Tests not listed: hidden, 1 point, in the group their first folder names (if declared).
  for (const std::string& file : tree.Under("tests/")) {
    if (!file.ends_with(".in")) continue;
    TestCase test;
    test.name = file.substr(6, file.size() - 9);
    if (listed.contains(test.name)) continue;
    const size_t slash = test.name.find('/');
    if (slash != std::string::npos && declared.contains(test.name.substr(0, slash))) {
      test.group = test.name.substr(0, slash);
    }
    CY_CHECK(load(test));
    problem.tests.push_back(std::move(test));
  }
  return {};
}

}  // namespace

Result<ProblemPackage> packages::ImportFolderTree(const Tree& tree) {
  if (!tree.Find(kYaml)) return Fail(FileError(tree, kYaml, "is missing"));
  CY_TRY(const YAML::Node yaml, packages::ParseYaml(tree, kYaml));
  if (!yaml.IsMap() || !yaml["codeyard_format"]) {
    return Fail(FileError(tree, kYaml, "codeyard_format: 1 is missing"));
  }
  CY_TRY(const std::optional<double> version, OptNumber(tree, kYaml, yaml, "codeyard_format"));
  if (version != 1.0) return Fail(FileError(tree, kYaml, "codeyard_format must be 1"));
  ProblemPackage package;
  package.format = PackageFormat::kCodeyard;
  Problem& problem = package.problem;
  problem.id = tree.name;
  CY_TRY(const std::optional<std::string> title, OptString(tree, kYaml, yaml, "title"));
  problem.title = title.value_or("");
  CY_TRY(problem.is_public, OptBool(tree, yaml, "public", true));
  CY_TRY(problem.scoring, OptBool(tree, yaml, "scoring", false));
  CY_TRY(const std::optional<std::string> image, OptString(tree, kYaml, yaml, "image"));
  problem.image = image.value_or("");

  if (const YAML::Node tags = yaml["tags"]) {
    if (!tags.IsMap()) return Fail(FileError(tree, kYaml, "tags must be a map"));
    CY_TRY(const std::optional<double> level, OptNumber(tree, kYaml, tags, "level"));
    if (level) {
      // An integer from 0 to 4, as the JSON form takes it; checked before the cast (a double
      // past int's range converted to int is undefined: fuzz problem_package, 4.4e55).
      if (*level != std::trunc(*level) || *level < 0 || *level > 4) {
        return Fail(FileError(tree, kYaml, "tags.level must be an integer from 0 to 4"));
      }
      problem.tags.level = static_cast<int>(*level);
    }
    CY_TRY(const std::optional<std::string> age, OptString(tree, kYaml, tags, "age_group"));
    problem.tags.age_group = age.value_or("");
    if (tags["topics"]) {
      if (!tags["topics"].IsSequence()) {
        return Fail(FileError(tree, kYaml, "tags.topics must be a list"));
      }
      for (const YAML::Node& t : tags["topics"]) problem.tags.topics.push_back(t.Scalar());
    }
  }
  if (const YAML::Node limits = yaml["limits"]) {
    if (!limits.IsMap()) return Fail(FileError(tree, kYaml, "limits must be a map"));
    CY_TRY(const std::optional<double> time, OptNumber(tree, kYaml, limits, "time_limit_s"));
    CY_TRY(const std::optional<uint64_t> memory,
           packages::OptMebibytes(tree, kYaml, limits, "memory_mib", "limits.memory_mib"));
    CY_TRY(const std::optional<uint64_t> output,
           packages::OptMebibytes(tree, kYaml, limits, "output_mib", "limits.output_mib"));
    if (time) {
      package.fixed_time_limit_s = *time;
      problem.limits.time_limit_s = *time;
    }
    if (memory) problem.limits.memory_bytes = *memory;
    if (output) problem.limits.output_bytes = *output;
    CY_TRY(const std::optional<double> multiplier,
           OptNumber(tree, kYaml, limits, "time_multiplier"));
    CY_TRY(const std::optional<double> margin,
           OptNumber(tree, kYaml, limits, "time_safety_margin"));
    if (multiplier) package.time_multiplier = *multiplier;
    if (margin) package.time_safety_margin = *margin;
  }
  CY_TRY(problem.checker, ReadChecker(tree, yaml));
  if (tree.HasDir("interactor/")) {
    CY_TRY(HelperProgram interactor, packages::ReadProgram(tree, "interactor/"));
    problem.interactor = std::move(interactor);
  }
  CY_TRY(const std::optional<std::string> flags, OptString(tree, kYaml, yaml, "validator_flags"));
  package.validator_flags = flags.value_or("");

  if (const std::string* statement = tree.Find("statement.md")) {
    problem.statement_markdown = *statement;
  }
  for (const auto& [path, content] : tree.files) {
    if (!Reserved(path)) problem.assets.push_back({path, content});
  }
  for (const std::string& file : tree.Under("starter/")) {
    const std::string base = file.substr(8);
    if (base.find('/') != std::string::npos) {
      return Fail(FileError(tree, file, "starter code is one file per language"));
    }
    problem.starter_code[base.substr(0, base.find('.'))] = *tree.Find(file);
  }
  CY_CHECK(ReadTests(tree, yaml, problem));
  CY_TRY(package.submissions, packages::ReadSubmissions(tree));
  if (auto valid = ValidateProblem(problem); !valid) {
    return Fail(
        Error(valid.error().code(), "package " + tree.name + ": " + valid.error().message()));
  }
  return package;
}

Result<ProblemPackage> ImportProblemFolder(const std::filesystem::path& path,
                                           const PackageCaps& caps) {
  CY_TRY(const Tree tree, packages::LoadTree(path, caps));
  return packages::ImportFolderTree(tree);
}

Result<ProblemPackage> ImportPackage(const std::filesystem::path& path, const PackageCaps& caps) {
  CY_TRY(const Tree tree, packages::LoadTree(path, caps));
  CY_TRY(const YAML::Node yaml, packages::ParseYaml(tree, kYaml));
  if (yaml.IsMap() && yaml["codeyard_format"]) return packages::ImportFolderTree(tree);
  return packages::ImportKattisTree(tree);
}

Result<void> ExportProblemFolder(const ProblemPackage& package, const std::filesystem::path& dir) {
  const Problem& problem = package.problem;
  CY_CHECK(ValidateProblem(problem));
  Tree tree;
  tree.name = problem.id;
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "codeyard_format" << YAML::Value << 1;
  y << YAML::Key << "title" << YAML::Value << problem.title;
  y << YAML::Key << "public" << YAML::Value << problem.is_public;
  y << YAML::Key << "scoring" << YAML::Value << problem.scoring;
  if (!problem.image.empty()) y << YAML::Key << "image" << YAML::Value << problem.image;
  y << YAML::Key << "tags" << YAML::Value << YAML::BeginMap;
  if (problem.tags.level) y << YAML::Key << "level" << YAML::Value << *problem.tags.level;
  y << YAML::Key << "age_group" << YAML::Value << problem.tags.age_group;
  y << YAML::Key << "topics" << YAML::Value << YAML::Flow << problem.tags.topics;
  y << YAML::EndMap;
  y << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "time_limit_s" << YAML::Value << FormatNumber(problem.limits.time_limit_s);
  y << YAML::Key << "memory_mib" << YAML::Value
    << FormatNumber(static_cast<double>(problem.limits.memory_bytes) / (1 << 20));
  y << YAML::Key << "output_mib" << YAML::Value
    << FormatNumber(static_cast<double>(problem.limits.output_bytes) / (1 << 20));
  y << YAML::Key << "time_multiplier" << YAML::Value << FormatNumber(package.time_multiplier);
  y << YAML::Key << "time_safety_margin" << YAML::Value << FormatNumber(package.time_safety_margin);
  y << YAML::EndMap;
  const CheckerSpec& checker = problem.checker;
  y << YAML::Key << "checker" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "kind" << YAML::Value << std::string(CheckerKindName(checker.kind));
  y << YAML::Key << "case_sensitive" << YAML::Value << checker.case_sensitive;
  y << YAML::Key << "absolute_tolerance" << YAML::Value << FormatNumber(checker.absolute_tolerance);
  y << YAML::Key << "relative_tolerance" << YAML::Value << FormatNumber(checker.relative_tolerance);
  y << YAML::EndMap;
  if (!package.validator_flags.empty()) {
    y << YAML::Key << "validator_flags" << YAML::Value << package.validator_flags;
  }
  y << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
  for (const TestGroup& g : problem.groups) {
    y << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << g.name << YAML::Key
      << "points" << YAML::Value << FormatNumber(g.points) << YAML::EndMap;
  }
  y << YAML::EndSeq;
  y << YAML::Key << "tests" << YAML::Value << YAML::BeginSeq;
  for (const TestCase& t : problem.tests) {
    y << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << t.name;
    if (!t.group.empty()) y << YAML::Key << "group" << YAML::Value << t.group;
    y << YAML::Key << "points" << YAML::Value << FormatNumber(t.points);
    y << YAML::Key << "public" << YAML::Value << t.is_public << YAML::EndMap;
    tree.files["tests/" + t.name + ".in"] = t.input;
    tree.files["tests/" + t.name + ".out"] = t.expected_output;
  }
  y << YAML::EndSeq;
  y << YAML::EndMap;
  tree.files["problem.yaml"] = std::string(y.c_str()) + "\n";
  if (!problem.statement_markdown.empty()) tree.files["statement.md"] = problem.statement_markdown;
  for (const ProblemAsset& asset : problem.assets) {
    if (Reserved(asset.path)) {
      return Fail(Error::Code::kInvalidArgument,
                  "export: asset " + asset.path + " collides with a file of the format");
    }
    tree.files[asset.path] = asset.content;
  }
  for (const auto& [language, source] : problem.starter_code) {
    tree.files["starter/" + language + std::string(Extension(language))] = source;
  }
  if (checker.kind == CheckerKind::kCustom && checker.program) {
    packages::WriteProgram(tree, "checker/", *checker.program);
  }
  if (problem.interactor) packages::WriteProgram(tree, "interactor/", *problem.interactor);
  packages::WriteSubmissions(tree, package.submissions, /*kattis=*/false);
  return packages::WriteTree(tree, dir);
}

}  // namespace codeyard
