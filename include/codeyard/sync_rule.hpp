// The two-way sync rule as a pure function, for a tool that syncs a copy of a workspace the
// library does not see (the CLI's `workspace push` / `pull` of a local folder): given what
// changed on each side since the last agreed state, what to do. It is the table of
// docs/workspaces.md ("Sync") that SyncPass applies to a pod and storage: a write beats a
// delete, and both sides changed with different bytes keeps both (the remote's version stays,
// the local one is saved under ConflictName on both sides). SyncIgnoreRules is the engine's
// `.syncignore` reading, for such a tool to leave alone what the engine leaves alone. All
// stateless or immutable, and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace codeyard {

namespace sync {
class SyncIgnore;
}

// What happened to a path on one side since the last agreed state.
enum class SideChange { kNone, kChanged, kCreated, kDeleted };

enum class SyncAction {
  kNothing,       // in agreement (or gone on both sides)
  kCopyToRemote,  // local changed, remote did not (or was deleted): write it remotely
  kCopyToLocal,   // remote changed, local did not (or was deleted): write it locally
  kDeleteRemote,  // deleted locally, remote unchanged
  kDeleteLocal,   // deleted remotely, local unchanged
  kCompare,       // changed on both sides: same bytes is agreement, else keep both
};

// `local` plays the pod's part, `remote` storage's.
[[nodiscard]] SyncAction DecideSync(SideChange local, SideChange remote) noexcept;

// "src/a.py" + 1732262400000 -> "src/a.conflict-20241122T080000Z.py": the name the local
// side of a conflict is kept under (the same as the sync engine's).
[[nodiscard]] std::string SyncConflictName(std::string_view path, int64_t unix_ms);

// Which paths a sync leaves alone: the engine's defaults (node_modules/, __pycache__/, .venv/,
// .cache/) and the rules of a `.syncignore` file's text (docs/workspaces.md, "Sync":
// gitignore-like, the last matching rule wins, a path under an ignored folder is ignored).
class SyncIgnoreRules {
 public:
  static constexpr std::string_view kFileName = ".syncignore";

  explicit SyncIgnoreRules(std::string_view syncignore_text);
  // `path` is relative to the root, '/'-separated; `is_dir` says whether it names a folder.
  [[nodiscard]] bool Ignored(std::string_view path, bool is_dir) const;

 private:
  std::shared_ptr<const sync::SyncIgnore> rules_;
};

}  // namespace codeyard
