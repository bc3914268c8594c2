// Organizations (issue 20): a school, a bootcamp or a company on one Codeyard. An organization
// has members with a role: owners manage everything, other owners included; admins manage
// members and admins and set quotas, but never add, change or remove an owner; members use
// what belongs to it. Every user has a personal organization (made with the user, its id is
// the user's id) that owns what they create unless they name another organization they belong
// to. An organization never loses its last owner, and a personal organization has exactly its
// user. Platform admins (Role::kAdmin) act as owners of every organization.
//
// What a caller may not see is kNotFound, the same error as for an id that does not exist
// (an organization they are not a member of, a problem with visibility "org" of one). A call
// they may see but not make is kPermissionDenied.
//
// Quotas (OrgQuotas, per organization and per member) are enforced in storage, in the
// transaction of the action they limit, so they hold across replicas: running workspaces at
// pod start, stored bytes at each write, jobs per day at submission, reviewers' open claims at
// claim. CPU-seconds per day is kept here and enforced by usage metering. A refusal is
// kResourceExhausted whose message names the quota, its limit and its usage
// (`quota org.max_running_workspaces of org "cs101": 5 of 5 in use`) and whose
// Error::limit() is the quota's name.
//
// Threading: every method is safe from any thread at once; state is in storage.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/records.hpp"

namespace codeyard {

class Platform;

// What an organization holds now against its limits.
struct OrgUsage {
  int64_t running_workspaces = 0;
  int64_t stored_bytes = 0;
  int64_t jobs_today = 0;  // submitted since 00:00 UTC
  int64_t open_claims = 0;
};

// An organization as one of its members sees it.
struct OrgView {
  Org org;
  OrgRole role = OrgRole::kMember;  // the caller's (kOwner for a platform admin who is none)
  OrgUsage usage;                   // the whole organization's
  OrgUsage my_usage;                // the caller's own within it
};

// A member with the name people know them by.
struct OrgMemberView {
  OrgMember member;
  std::string username;
  std::string display_name;
};

// Slugs: 2-40 characters of a-z, 0-9 and '-', starting with a letter or digit. Names: 1-100
// bytes, not blank. kInvalidArgument naming the field otherwise.
[[nodiscard]] Result<void> ValidateOrgSlug(std::string_view slug);
[[nodiscard]] Result<void> ValidateOrgName(std::string_view name);
// Every limit >= 0 (nullopt = unlimited); kInvalidArgument naming the quota otherwise.
[[nodiscard]] Result<void> ValidateOrgQuotas(const OrgQuotas& quotas);

class Orgs {
 public:
  explicit Orgs(std::shared_ptr<Platform> platform);

  // A new organization with the caller as its owner. kAlreadyExists for a taken slug.
  [[nodiscard]] Result<Org> Create(std::string_view caller_id, std::string_view name,
                                   std::string_view slug);
  // The caller's organizations with their role, the personal one first, then by slug.
  [[nodiscard]] Result<std::vector<OrgView>> ListMine(std::string_view caller_id);
  // One organization with the caller's role, its quotas and its usage. `org` is an id or a
  // slug.
  [[nodiscard]] Result<OrgView> Get(std::string_view caller_id, std::string_view org);

  // Every member (members see the list too), oldest first.
  [[nodiscard]] Result<std::vector<OrgMemberView>> Members(std::string_view caller_id,
                                                           std::string_view org);
  // Adds the user named by id or username. Owners add any role; admins add admins and
  // members. kAlreadyExists for a member; kFailedPrecondition for a personal organization.
  [[nodiscard]] Result<OrgMemberView> AddMember(std::string_view caller_id, std::string_view org,
                                                std::string_view user, OrgRole role);
  // Owners change any role; admins change admins and members, never to or from owner.
  // kFailedPrecondition when the last owner would be demoted.
  [[nodiscard]] Result<OrgMemberView> SetRole(std::string_view caller_id, std::string_view org,
                                              std::string_view user, OrgRole role);
  // As SetRole's rules; any member may remove themselves (leave). kFailedPrecondition for the
  // last owner.
  [[nodiscard]] Result<void> RemoveMember(std::string_view caller_id, std::string_view org,
                                          std::string_view user);
  // Owners and admins: replaces both quota sets. `expected_version`, when given, must be the
  // organization's version (kConflict otherwise).
  [[nodiscard]] Result<Org> SetQuotas(std::string_view caller_id, std::string_view org,
                                      const OrgQuotas& org_quotas, const OrgQuotas& member_quotas,
                                      std::optional<int64_t> expected_version = std::nullopt);

  // org20: renaming, deleting, moving a workspace (orgs_manage.cpp). Each is audited
  // (org.rename, org.delete, workspace.move) in its own transaction.
  //
  // Owners (platform admins too): a new name and/or slug (nullopt keeps it). kPermissionDenied
  // for admins and members; kFailedPrecondition for a personal organization; kAlreadyExists
  // for a taken slug; kConflict when `expected_version` is given and stale.
  [[nodiscard]] Result<Org> Rename(std::string_view caller_id, std::string_view org,
                                   std::optional<std::string> name, std::optional<std::string> slug,
                                   std::optional<int64_t> expected_version = std::nullopt);
  // Owners (platform admins too). kFailedPrecondition for a personal organization, and for one
  // that still holds workspaces, problems, reviews or queued or running jobs: the message
  // counts what it holds. Its finished jobs go to their owners' personal organizations.
  [[nodiscard]] Result<void> Delete(std::string_view caller_id, std::string_view org);
  // Moves a workspace into `org` (an id or a slug). The caller is its owner or a platform
  // admin (anyone else: kNotFound), a member of both organizations (a platform admin stands
  // in every one), and the owner must be a member of the target (kFailedPrecondition). The
  // target's quotas are checked in the move's transaction: stored bytes for the workspace's
  // bytes, running workspaces when its pod is live (kResourceExhausted, as at the action).
  // Moving into the organization it is in changes nothing. Returns the workspace after.
  [[nodiscard]] Result<Workspace> MoveWorkspace(std::string_view caller_id,
                                                std::string_view workspace_id,
                                                std::string_view org);

 private:
  std::shared_ptr<Platform> platform_;
};

}  // namespace codeyard
