// Helper programs and example submissions of packages (see programs.hpp).
#include "core/problems/packages/programs.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "codeyard/run.hpp"
#include "core/problems/packages/yaml_util.hpp"
#include "core/try.hpp"

namespace codeyard::packages {
namespace {

std::optional<std::string> LanguageOf(std::string_view file_name) {
  auto language = LanguageFromFileName(file_name);
  if (!language) return std::nullopt;
  return std::string(LanguageName(*language));
}

std::string Stem(std::string_view file_name) {
  const size_t slash = file_name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  const size_t dot = base.find('.');
  return std::string(dot == std::string_view::npos ? base : base.substr(0, dot));
}

// Orders `files` entry point first; returns the entry's language.
Result<std::string> PickEntry(const Tree& tree, const std::string& where,
                              std::vector<FileData>& files) {
  std::vector<size_t> sources;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].path == "build" || files[i].path == "run") {
      return Fail(
          FileError(tree, where, "build/run scripts are not supported; give the program's source"));
    }
    if (LanguageOf(files[i].path)) sources.push_back(i);
  }
  if (sources.empty()) {
    return Fail(
        FileError(tree, where, "no source file of a known language (.py .js .c .cc .cpp .sh)"));
  }
  size_t entry = sources.front();
  if (sources.size() > 1) {
    static constexpr std::array<std::string_view, 6> kNames = {"main",    "__main__",   "validator",
                                                               "checker", "interactor", "solution"};
    for (std::string_view want : kNames) {
      const auto it = std::find_if(sources.begin(), sources.end(),
                                   [&](size_t i) { return Stem(files[i].path) == want; });
      if (it != sources.end()) {
        entry = *it;
        break;
      }
    }
  }
  std::rotate(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(entry),
              files.begin() + static_cast<std::ptrdiff_t>(entry) + 1);
  return *LanguageOf(files.front().path);
}

struct VerdictDir {
  std::string_view folder;
  std::string_view verdict;
};
constexpr std::array<VerdictDir, 11> kVerdictDirs = {{
    {"accepted", "accepted"},
    {"wrong_answer", "wrong_answer"},
    {"time_limit_exceeded", "time_limit_exceeded"},
    {"run_time_error", "runtime_error"},
    {"runtime_error", "runtime_error"},
    {"memory_limit_exceeded", "memory_limit_exceeded"},
    {"output_limit_exceeded", "output_limit_exceeded"},
    {"compile_error", "compile_error"},
    {"partially_accepted", "partially_accepted"},
    {"rejected", "rejected"},
    {"brute_force", "brute_force"},
}};

}  // namespace

FileData PackageFile(std::string path, std::string content) {
  FileData file;
  file.path = std::move(path);
  file.content = std::move(content);
  return file;
}

Result<HelperProgram> ReadProgram(const Tree& tree, const std::string& path) {
  HelperProgram program;
  if (path.ends_with('/')) {
    for (const std::string& file : tree.Under(path)) {
      program.files.push_back(PackageFile(file.substr(path.size()), *tree.Find(file)));
    }
  } else if (const std::string* content = tree.Find(path)) {
    program.files.push_back(PackageFile(path.substr(path.rfind('/') + 1), *content));
  }
  if (program.files.empty()) return Fail(FileError(tree, path, "the program has no files"));
  CY_TRY(program.language, PickEntry(tree, path, program.files));
  return program;
}

void WriteProgram(Tree& tree, const std::string& folder, const HelperProgram& program) {
  for (const FileData& file : program.files) tree.files[folder + file.path] = file.content;
}

Result<std::vector<ExampleSubmission>> ReadSubmissions(const Tree& tree) {
  CY_TRY(const YAML::Node meta, ParseYaml(tree, "submissions/submissions.yaml"));
  // submissions/<verdict>/<entry>[/...]: one submission per <entry>.
  std::map<std::string, ExampleSubmission> found;
  for (const std::string& file : tree.Under("submissions/")) {
    const std::string rel = file.substr(std::string_view("submissions/").size());
    const size_t slash = rel.find('/');
    if (slash == std::string::npos) continue;  // submissions.yaml, a README
    const std::string folder = rel.substr(0, slash);
    const auto dir = std::find_if(kVerdictDirs.begin(), kVerdictDirs.end(),
                                  [&](const VerdictDir& d) { return d.folder == folder; });
    if (dir == kVerdictDirs.end()) continue;
    const std::string inside = rel.substr(slash + 1);
    const size_t next = inside.find('/');
    const std::string entry = inside.substr(0, next);
    ExampleSubmission& sub = found[folder + "/" + entry];
    sub.name = folder + "/" + entry;
    sub.expected_verdict = std::string(dir->verdict);
    sub.files.push_back(
        PackageFile(next == std::string::npos ? entry : inside.substr(next + 1), *tree.Find(file)));
  }
  std::vector<ExampleSubmission> out;
  for (auto& [name, sub] : found) {
    CY_TRY(sub.language, PickEntry(tree, "submissions/" + name, sub.files));
    if (meta.IsMap() && meta[name] && meta[name].IsMap()) {
      CY_TRY(sub.expected_score,
             OptNumber(tree, "submissions/submissions.yaml", meta[name], "score"));
    }
    out.push_back(std::move(sub));
  }
  return out;
}

void WriteSubmissions(Tree& tree, const std::vector<ExampleSubmission>& submissions, bool kattis) {
  YAML::Emitter meta;
  bool any_score = false;
  meta << YAML::BeginMap;
  for (const ExampleSubmission& sub : submissions) {
    std::string name = sub.name;
    if (kattis && name.starts_with("runtime_error/")) {
      name = "run_time_error/" + name.substr(std::string_view("runtime_error/").size());
    }
    const std::string entry = name.substr(name.find('/') + 1);
    // One file named as its entry is a file submission; anything else a folder.
    if (sub.files.size() == 1 && sub.files.front().path == entry) {
      tree.files["submissions/" + name] = sub.files.front().content;
    } else {
      for (const FileData& file : sub.files) {
        tree.files["submissions/" + name + "/" + file.path] = file.content;
      }
    }
    if (sub.expected_score) {
      any_score = true;
      meta << YAML::Key << name << YAML::Value << YAML::BeginMap << YAML::Key << "score"
           << YAML::Value << *sub.expected_score << YAML::EndMap;
    }
  }
  meta << YAML::EndMap;
  if (any_score) tree.files["submissions/submissions.yaml"] = std::string(meta.c_str()) + "\n";
}

}  // namespace codeyard::packages
