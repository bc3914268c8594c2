// The Orgs service's changes to organizations as wholes (codeyard/orgs.hpp, org20): rename,
// delete, and moving a workspace from one organization to another. Each runs in one write
// transaction with its audit record.
#include <string>
#include <utility>
#include <vector>

#include "codeyard/audit.hpp"
#include "codeyard/orgs.hpp"
#include "codeyard/platform.hpp"
#include "core/json_text.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/audit.hpp"
#include "core/store/orgs.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;

// Rename and delete are the owners' (a platform admin stands as one), never on a personal
// organization.
Result<orgs::Standing> OwnerOf(Transaction& tx, std::string_view caller_id, std::string_view org,
                               std::string_view what) {
  CY_TRY(orgs::Standing s, orgs::StandingIn(tx, caller_id, org));
  if (*s.role != OrgRole::kOwner) {
    return Fail(Code::kPermissionDenied,
                "orgs: only owners " + std::string(what) + " an organization");
  }
  if (s.org.personal_of) {
    return Fail(Code::kFailedPrecondition,
                "orgs: a personal organization cannot be " + std::string(what) + "d");
  }
  return s;
}

std::string Counted(int64_t n, std::string_view one) {
  return std::to_string(n) + " " + std::string(one) + (n == 1 ? "" : "s");
}

// "2 workspaces, 1 problem and 3 reviews"
std::string Holding(const store::orgs::Holdings& h) {
  std::vector<std::string> parts;
  if (h.workspaces > 0) parts.push_back(Counted(h.workspaces, "workspace"));
  if (h.problems > 0) parts.push_back(Counted(h.problems, "problem"));
  if (h.reviews > 0) parts.push_back(Counted(h.reviews, "review"));
  if (h.live_jobs > 0) parts.push_back(Counted(h.live_jobs, "queued or running job"));
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::string Detail(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ',';
    AppendJsonString(out, key);
    out += ':';
    AppendJsonString(out, value);
  }
  return out + "}";
}

}  // namespace

Result<Org> Orgs::Rename(std::string_view caller_id, std::string_view org,
                         std::optional<std::string> name, std::optional<std::string> slug,
                         std::optional<int64_t> expected_version) {
  if (name) CY_CHECK(ValidateOrgName(*name));
  if (slug) CY_CHECK(ValidateOrgSlug(*slug));
  const int64_t now = platform_->clock().NowMillis();
  auto renamed =
      store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Org> {
        CY_TRY(orgs::Standing s, OwnerOf(tx, caller_id, org, "rename"));
        if (expected_version && *expected_version != s.org.version) {
          return Fail(Code::kConflict, "orgs: the organization changed since version " +
                                           std::to_string(*expected_version) + " (it is " +
                                           std::to_string(s.org.version) + " now)");
        }
        const std::string old_slug = s.org.slug;
        if (name) s.org.name = *name;
        if (slug) s.org.slug = *slug;
        CY_TRY(Org updated, store::orgs::Update(tx, s.org, now));
        CY_CHECK(store::audit::Record(
            tx, now, caller_id, audit_action::kOrgRename, updated.id,
            Detail({{"name", updated.name}, {"slug", updated.slug}, {"from_slug", old_slug}})));
        return updated;
      });
  if (!renamed && renamed.error().code() == Code::kAlreadyExists && slug) {
    return Fail(Code::kAlreadyExists, "orgs: the slug \"" + *slug + "\" is taken");
  }
  return renamed;
}

Result<void> Orgs::Delete(std::string_view caller_id, std::string_view org) {
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_TRY(const orgs::Standing s, OwnerOf(tx, caller_id, org, "delete"));
        // Under the row's lock (quota checks and moves in take it too); a workspace or job
        // written into it meanwhile fails its foreign key once the row is gone.
        CY_CHECK(store::orgs::Lock(tx, s.org.id));
        CY_TRY(const store::orgs::Holdings held, store::orgs::HoldingsOf(tx, s.org.id));
        const std::string holding = Holding(held);
        if (!holding.empty()) {
          return Fail(Code::kFailedPrecondition, "orgs: organization \"" + s.org.slug +
                                                     "\" still holds " + holding +
                                                     "; move or delete them first");
        }
        CY_CHECK(store::orgs::Delete(tx, s.org.id));
        CY_CHECK(store::audit::Record(tx, now, caller_id, audit_action::kOrgDelete, s.org.id,
                                      Detail({{"name", s.org.name}, {"slug", s.org.slug}})));
        return {};
      });
}

Result<Workspace> Orgs::MoveWorkspace(std::string_view caller_id, std::string_view workspace_id,
                                      std::string_view org) {
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Workspace> {
        CY_TRY(const User caller, store::users::Get(tx, caller_id));
        const bool platform_admin = caller.role == Role::kAdmin && !caller.disabled;
        const Error hidden(Code::kNotFound, "workspaces: workspace not found");
        CY_TRY(const orgs::Standing target, orgs::StandingIn(tx, caller_id, org));
        auto live = store::orgs::LockWorkspaceForMove(tx, workspace_id);
        if (!live) return Fail(live.error().code() == Code::kNotFound ? hidden : live.error());
        CY_TRY(Workspace ws, store::workspaces::Get(tx, workspace_id));
        if (ws.owner_id != caller_id && !platform_admin) return Fail(hidden);
        if (ws.org_id == target.org.id) return ws;
        if (!platform_admin) {
          CY_TRY(const bool in_source, orgs::IsMember(tx, ws.org_id, caller_id));
          if (!in_source) {
            return Fail(Code::kPermissionDenied,
                        "orgs: you are no member of the workspace's organization");
          }
        }
        CY_TRY(const bool owner_in_target, orgs::IsMember(tx, target.org.id, ws.owner_id));
        if (!owner_in_target) {
          return Fail(Code::kFailedPrecondition,
                      "orgs: the workspace's owner is no member of \"" + target.org.slug + "\"");
        }
        CY_CHECK(orgs::CheckMoveInto(tx, target.org.id, ws.owner_id, ws.total_bytes, *live));
        const std::string from = ws.org_id;
        CY_CHECK(store::orgs::SetWorkspaceOrg(tx, ws.id, target.org.id, now));
        CY_CHECK(store::audit::Record(tx, now, caller_id, audit_action::kWorkspaceMove, ws.id,
                                      Detail({{"from", from}, {"to", target.org.id}})));
        return store::workspaces::Get(tx, ws.id);
      });
}

}  // namespace codeyard
