#include "core/events/emit.hpp"

#include <chrono>
#include <string>

#include "codeyard/events.hpp"
#include "core/json_text.hpp"
#include "core/store/events.hpp"

namespace codeyard::events {
namespace {

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Field(std::string& out, std::string_view name, std::string_view text) {
  out += out.size() > 1 ? "," : "";
  AppendJsonString(out, name);
  out += ':';
  AppendJsonString(out, text);
}

void Field(std::string& out, std::string_view name, int64_t n) {
  out += out.size() > 1 ? "," : "";
  AppendJsonString(out, name);
  out += ':';
  out += std::to_string(n);
}

std::string ItemData(const FileInfo& info) {
  std::string out = "{";
  Field(out, "path", info.path);
  Field(out, "kind", ItemKindName(info.kind));
  Field(out, "size", info.size);
  Field(out, "version", info.version);
  Field(out, "mtime", info.mtime);
  return out + "}";
}

}  // namespace

Result<void> FileCreated(Transaction& tx, std::string_view workspace_id, const FileInfo& info) {
  return store::events::Append(tx, kEventFileCreated, workspace_id, ItemData(info), WallMillis());
}

Result<void> FileChanged(Transaction& tx, std::string_view workspace_id, const FileInfo& info) {
  return store::events::Append(tx, kEventFileChanged, workspace_id, ItemData(info), WallMillis());
}

Result<void> FileDeleted(Transaction& tx, std::string_view workspace_id, std::string_view path) {
  std::string data = "{";
  Field(data, "path", path);
  return store::events::Append(tx, kEventFileDeleted, workspace_id, data + "}", WallMillis());
}

Result<void> FileMoved(Transaction& tx, std::string_view workspace_id, std::string_view from,
                       std::string_view to) {
  std::string data = "{";
  Field(data, "from", from);
  Field(data, "to", to);
  return store::events::Append(tx, kEventFileMoved, workspace_id, data + "}", WallMillis());
}

Result<void> WorkspaceDeleted(Transaction& tx, std::string_view workspace_id,
                              std::string_view name) {
  std::string data = "{";
  Field(data, "name", name);
  return store::events::Append(tx, kEventWorkspaceDeleted, workspace_id, data + "}", WallMillis());
}

Result<void> StateChanged(Transaction& tx, std::string_view workspace_id, WorkspaceState state) {
  std::string data = "{";
  Field(data, "state", WorkspaceStateName(state));
  return store::events::Append(tx, kEventWorkspaceState, workspace_id, data + "}", WallMillis());
}

}  // namespace codeyard::events
