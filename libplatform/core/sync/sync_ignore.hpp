// Which workspace paths the sync leaves alone: the defaults (node_modules/, __pycache__/,
// .venv/, .cache/) followed by the rules of the workspace's `.syncignore`, in gitignore's
// spirit: one pattern per line, `#` comments, a trailing `/` for folders only, `!` to take
// a path back, a pattern without `/` matching a name at any depth, one with `/` matching
// from the workspace root, `*`/`?`/`[...]` wildcards; the last matching rule wins, and a
// path under an ignored folder is ignored. Only the file's first kMaxBytes (whole lines) and its
// first kMaxRules rules count: the server matches every path of every sync pass against them,
// one fnmatch per rule and folder level, and a 10 MiB file of rules made a pass of a full
// workspace cost minutes of the server's CPU. Immutable once built; safe to share.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace codeyard::sync {

inline constexpr const char* kSyncIgnoreFile = ".syncignore";

class SyncIgnore {
 public:
  static constexpr std::size_t kMaxBytes = std::size_t{64} << 10;
  static constexpr std::size_t kMaxRules = 1000;

  // The defaults plus the rules in `syncignore` (the file's text, may be empty).
  static SyncIgnore Parse(std::string_view syncignore);

  [[nodiscard]] bool Ignored(std::string_view path, bool is_dir) const;

  // Folder names that are ignored wherever they appear and never taken back by a later
  // rule, so a pod listing need not descend into them at all.
  [[nodiscard]] std::vector<std::string> SkippableDirNames() const;

 private:
  struct Rule {
    std::string pattern;
    bool negate = false;
    bool dir_only = false;
    bool anchored = false;  // contains a '/' (other than a trailing one): match from the root
  };
  [[nodiscard]] bool MatchOne(std::string_view path, bool is_dir) const;
  std::vector<Rule> rules_;
};

}  // namespace codeyard::sync
