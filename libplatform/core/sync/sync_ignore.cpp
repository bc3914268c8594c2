#include "core/sync/sync_ignore.hpp"

#include <fnmatch.h>

namespace codeyard::sync {
namespace {

constexpr const char* kDefaults[] = {"node_modules/", "__pycache__/", ".venv/", ".cache/"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Whether `s` is a pattern rather than a name: a wildcard, or a backslash escape (fnmatch reads
// "\\#x" as the name "#x", so the rule's text is not the folder's name). Found by fuzzing:
// SkippableDirNames once reported "\\#x", and the pod listing skipped a folder of that name
// that no rule ignores.
bool HasWildcard(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

}  // namespace

SyncIgnore SyncIgnore::Parse(std::string_view syncignore) {
  SyncIgnore out;
  if (syncignore.size() > kMaxBytes) {
    // Whole lines only: a line cut short would be another rule than the one written.
    syncignore = syncignore.substr(0, syncignore.rfind('\n', kMaxBytes - 1) + 1);
  }
  std::vector<std::string_view> lines(std::begin(kDefaults), std::end(kDefaults));
  while (!syncignore.empty()) {
    const auto newline = syncignore.find('\n');
    lines.push_back(syncignore.substr(0, newline));
    syncignore =
        newline == std::string_view::npos ? std::string_view() : syncignore.substr(newline + 1);
  }
  for (std::string_view line : lines) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    Rule rule;
    if (line.front() == '!') {
      rule.negate = true;
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      rule.dir_only = true;
      line.remove_suffix(1);
    }
    if (!line.empty() && line.front() == '/') {
      rule.anchored = true;
      line.remove_prefix(1);
    }
    if (line.empty()) continue;
    if (line.find('/') != std::string_view::npos) rule.anchored = true;
    rule.pattern = std::string(line);
    out.rules_.push_back(std::move(rule));
    if (out.rules_.size() == std::size(kDefaults) + kMaxRules) break;
  }
  return out;
}

bool SyncIgnore::MatchOne(std::string_view path, bool is_dir) const {
  const auto slash = path.rfind('/');
  const std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  const std::string full(path);
  bool ignored = false;
  for (const auto& rule : rules_) {
    if (rule.dir_only && !is_dir) continue;
    const bool hit = rule.anchored
                         ? ::fnmatch(rule.pattern.c_str(), full.c_str(), FNM_PATHNAME) == 0
                         : ::fnmatch(rule.pattern.c_str(), name.c_str(), 0) == 0;
    if (hit) ignored = !rule.negate;
  }
  return ignored;
}

bool SyncIgnore::Ignored(std::string_view path, bool is_dir) const {
  // A path is ignored when it, or any folder above it, is.
  size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    if (slash == std::string_view::npos) return MatchOne(path, is_dir);
    if (MatchOne(path.substr(0, slash), true)) return true;
    start = slash + 1;
  }
}

std::vector<std::string> SyncIgnore::SkippableDirNames() const {
  std::vector<std::string> out;
  for (const auto& rule : rules_) {
    if (rule.negate || !rule.dir_only || rule.anchored || HasWildcard(rule.pattern)) continue;
    bool taken_back = false;
    for (const auto& later : rules_) {
      if (later.negate) taken_back = true;  // any negation may reach inside: stay safe
    }
    if (!taken_back) out.push_back(rule.pattern);
  }
  return out;
}

}  // namespace codeyard::sync
