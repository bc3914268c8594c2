// The two-way sync rule as a pure function, for a tool that syncs a copy of a workspace the
// library does not see (the CLI's `workspace push` / `pull` of a local folder): given what
// changed on each side since the last agreed state, what to do. It is the table of
// docs/workspaces.md ("Sync") that SyncPass applies to a pod and storage: a write beats a
// delete, and both sides changed with different bytes keeps both (the remote's version stays,
// the local one is saved under ConflictName on both sides). Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codeyard {

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

}  // namespace codeyard
