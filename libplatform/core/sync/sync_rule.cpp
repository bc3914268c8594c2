// The sync table as a pure function (see codeyard/sync_rule.hpp).
#include "codeyard/sync_rule.hpp"

#include "core/sync/sync_engine.hpp"
#include "core/sync/sync_ignore.hpp"

namespace codeyard {

SyncAction DecideSync(SideChange local, SideChange remote) noexcept {
  const bool local_wrote = local == SideChange::kChanged || local == SideChange::kCreated;
  const bool remote_wrote = remote == SideChange::kChanged || remote == SideChange::kCreated;
  if (local_wrote && remote_wrote) return SyncAction::kCompare;
  if (local_wrote) return SyncAction::kCopyToRemote;  // a write beats a delete
  if (remote_wrote) return SyncAction::kCopyToLocal;
  if (local == SideChange::kDeleted && remote == SideChange::kNone) {
    return SyncAction::kDeleteRemote;
  }
  if (remote == SideChange::kDeleted && local == SideChange::kNone) {
    return SyncAction::kDeleteLocal;
  }
  return SyncAction::kNothing;
}

std::string SyncConflictName(std::string_view path, int64_t unix_ms) {
  return sync::ConflictName(path, unix_ms);
}

SyncIgnoreRules::SyncIgnoreRules(std::string_view syncignore_text)
    : rules_(std::make_shared<const sync::SyncIgnore>(sync::SyncIgnore::Parse(syncignore_text))) {}

bool SyncIgnoreRules::Ignored(std::string_view path, bool is_dir) const {
  return rules_->Ignored(path, is_dir);
}

}  // namespace codeyard
