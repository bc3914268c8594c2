// The stored entities as plain structs: what the repositories read and write and what the
// services of later steps hand to callers. Timestamps are milliseconds since the Unix epoch;
// ids are UUIDv4 strings; `version` counts committed changes and backs optimistic
// concurrency (a write names the version it read; a stale one is a kConflict).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard {

enum class Role { kUser, kAdmin };
[[nodiscard]] std::string_view RoleName(Role role) noexcept;
[[nodiscard]] Result<Role> ParseRole(std::string_view text);

struct User {
  std::string id;
  std::string username;  // lower-case, unique
  std::string display_name;
  std::string password_hash;
  Role role = Role::kUser;
  int reviewer_level = 0;  // 0-4
  bool disabled = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t version = 1;
};

struct RefreshToken {
  std::string id;
  std::string user_id;
  std::string family_id;
  std::string token_hash;  // hex SHA-256 of the opaque token; the token itself is never stored
  int64_t created_at = 0;
  int64_t expires_at = 0;
  std::optional<int64_t> revoked_at;
  std::optional<std::string> replaced_by;
};

enum class WorkspaceState { kStopped, kStarting, kRunning, kStopping };
[[nodiscard]] std::string_view WorkspaceStateName(WorkspaceState state) noexcept;
[[nodiscard]] Result<WorkspaceState> ParseWorkspaceState(std::string_view text);

struct Workspace {
  std::string id;
  std::string owner_id;
  std::string name;
  WorkspaceState state = WorkspaceState::kStopped;
  int64_t total_bytes = 0;  // sum of file sizes, for the per-workspace quota
  int64_t entry_count = 0;  // files and folders, for the per-workspace entry quota
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t last_active_at = 0;
  int64_t version = 1;
  // The owner shares the terminal read-only with the assigned reviewer of an open review
  // (policy: core/reviews/policy.cpp). Not part of `version`: toggling it is no edit.
  bool terminal_shared = false;
  // The image its pods run on (PodSpec::image, codeyard/images.hpp); "" = the backend's
  // default. Chosen at creation.
  std::string image{};
  // The organization it belongs to (codeyard/orgs.hpp); "" on insert = the owner's personal
  // organization, whose id is the owner's id. Chosen at creation.
  std::string org_id{};
};

enum class ItemKind { kFile, kDir };
[[nodiscard]] std::string_view ItemKindName(ItemKind kind) noexcept;
[[nodiscard]] Result<ItemKind> ParseItemKind(std::string_view text);

struct WorkspaceItem {
  std::string id;
  std::string workspace_id;
  std::optional<std::string> parent_id;  // the folder holding it; none at the top level
  std::string path;                      // normalized, relative: "src/main.py"
  ItemKind kind = ItemKind::kFile;
  std::string content;          // bytes; empty when not loaded or a folder
  bool content_loaded = false;  // listings leave content out
  int64_t size = 0;
  std::string sha256;  // hex; empty for folders
  int64_t version = 1;
  int64_t mtime = 0;
  int64_t created_at = 0;
};

// The lease on a workspace's pod: the one record of which pod serves it and which replica holds it.
struct PodRecord {
  std::string workspace_id;
  std::string pod_id;       // empty while the holder is starting the pod, and once released
  std::string executor;     // "local", "k8s"
  std::string replica;      // the server replica holding the lease (server.replica_id)
  std::string state;        // "starting", "running", "released"
  int64_t lease_until = 0;  // ms since the epoch; the lease is expired from then on
  // Fencing token: bumped by every claim and takeover. Writes made on behalf of a pod carry
  // (replica, generation), and storage refuses them once another claim has bumped it.
  int64_t generation = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// One path as storage and pod agreed at the last sync.
struct ManifestEntry {
  std::string path;
  ItemKind kind = ItemKind::kFile;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
  int64_t item_version = 0;
  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

struct AuditEntry {
  int64_t id = 0;  // assigned on append, increasing
  int64_t ts = 0;
  std::optional<std::string> actor_id;
  std::string action;  // "user.login", "workspace.delete", ...
  std::string target;
  std::string detail = "{}";  // JSON object
  std::string request_id;
  // admin20: the client's address (migration 19); empty for the library's own actions.
  std::string source;
};

// --- organizations (issue 20, org20; codeyard/orgs.hpp) ---

enum class OrgRole { kOwner, kAdmin, kMember };
[[nodiscard]] std::string_view OrgRoleName(OrgRole role) noexcept;
[[nodiscard]] Result<OrgRole> ParseOrgRole(std::string_view text);

// Quota limits of an organization: `org_*` over all of it, `member_*` for each member within
// it. nullopt = unlimited. cpu_seconds_per_day is enforced by usage metering.
struct OrgQuotas {
  std::optional<int64_t> max_running_workspaces;
  std::optional<int64_t> max_stored_bytes;
  std::optional<int64_t> max_jobs_per_day;
  std::optional<int64_t> max_cpu_seconds_per_day;
  std::optional<int64_t> max_open_claims;
  friend bool operator==(const OrgQuotas&, const OrgQuotas&) = default;
};

struct Org {
  std::string id;  // a personal organization's id is its user's id
  std::string name;
  std::string slug;                        // unique; a personal one's is "~<username>"
  std::optional<std::string> personal_of;  // the user of a personal organization
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t version = 1;
  OrgQuotas org_quotas;     // over the whole organization
  OrgQuotas member_quotas;  // for each member, within the organization
};

struct OrgMember {
  std::string org_id;
  std::string user_id;
  OrgRole role = OrgRole::kMember;
  int64_t created_at = 0;
};

}  // namespace codeyard
