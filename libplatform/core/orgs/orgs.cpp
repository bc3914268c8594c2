// The Orgs service (codeyard/orgs.hpp): organizations, members and their roles, quota limits.
#include "codeyard/orgs.hpp"

#include <utility>

#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/orgs.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using orgs::Standing;
using orgs::StandingIn;

constexpr std::size_t kMaxNameBytes = 100;
constexpr std::size_t kMinSlug = 2;
constexpr std::size_t kMaxSlug = 40;

bool Manages(OrgRole role) { return role == OrgRole::kOwner || role == OrgRole::kAdmin; }

// Whether `actor` may give, take or change the role `target` (owners: anything; admins:
// admins and members only).
bool MayTouch(OrgRole actor, OrgRole target) {
  return actor == OrgRole::kOwner || (actor == OrgRole::kAdmin && target != OrgRole::kOwner);
}

Error Denied(std::string_view what) {
  return {Code::kPermissionDenied, "orgs: " + std::string(what)};
}

Result<User> UserNamed(Transaction& tx, std::string_view user) {
  auto by_id = store::users::Get(tx, user);
  if (by_id || by_id.error().code() != Code::kNotFound) return by_id;
  auto by_name = store::users::GetByUsername(tx, user);
  if (!by_name && by_name.error().code() == Code::kNotFound) {
    return Fail(Code::kNotFound, "orgs: no user \"" + std::string(user) + "\"");
  }
  return by_name;
}

Result<OrgMemberView> ViewOf(Transaction& tx, OrgMember member) {
  CY_TRY(const User user, store::users::Get(tx, member.user_id));
  return OrgMemberView{std::move(member), user.username, user.display_name};
}

OrgUsage UsageFrom(const store::orgs::Usage& u) {
  return {u.running_workspaces, u.stored_bytes, u.jobs_today, u.open_claims};
}

Result<OrgView> ViewFor(Transaction& tx, Org org, OrgRole role, std::string_view caller_id,
                        int64_t now) {
  const int64_t day = store::orgs::DayStart(now);
  CY_TRY(const auto all, store::orgs::UsageOf(tx, org.id, "", day));
  CY_TRY(const auto mine, store::orgs::UsageOf(tx, org.id, caller_id, day));
  return OrgView{std::move(org), role, UsageFrom(all), UsageFrom(mine)};
}

}  // namespace

Result<void> ValidateOrgSlug(std::string_view slug) {
  const auto bad = [&](std::string why) {
    return Fail(Code::kInvalidArgument, "orgs: slug \"" + std::string(slug) + "\" " + why);
  };
  if (slug.size() < kMinSlug || slug.size() > kMaxSlug) return bad("must be 2-40 characters");
  for (const char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return bad("may hold only a-z, 0-9 and '-'");
  }
  if (slug.front() == '-') return bad("must start with a letter or digit");
  return {};
}

Result<void> ValidateOrgName(std::string_view name) {
  if (name.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Fail(Code::kInvalidArgument, "orgs: name must not be blank");
  }
  if (name.size() > kMaxNameBytes) {
    return Fail(Code::kInvalidArgument, "orgs: name is over 100 bytes");
  }
  return {};
}

Result<void> ValidateOrgQuotas(const OrgQuotas& q) {
  const std::pair<std::string_view, const std::optional<int64_t>*> all[] = {
      {"max_running_workspaces", &q.max_running_workspaces},
      {"max_stored_bytes", &q.max_stored_bytes},
      {"max_jobs_per_day", &q.max_jobs_per_day},
      {"max_cpu_seconds_per_day", &q.max_cpu_seconds_per_day},
      {"max_open_claims", &q.max_open_claims}};
  for (const auto& [name, value] : all) {
    if (*value && **value < 0) {
      return Fail(Code::kInvalidArgument, "orgs: quota " + std::string(name) +
                                              " must be 0 or more (null = unlimited), got " +
                                              std::to_string(**value));
    }
  }
  return {};
}

Orgs::Orgs(std::shared_ptr<Platform> platform) : platform_(std::move(platform)) {}

Result<Org> Orgs::Create(std::string_view caller_id, std::string_view name, std::string_view slug) {
  CY_CHECK(ValidateOrgName(name));
  CY_CHECK(ValidateOrgSlug(slug));
  const int64_t now = platform_->clock().NowMillis();
  Org org;
  org.id = NewUuid();
  org.name = std::string(name);
  org.slug = std::string(slug);
  org.created_at = org.updated_at = now;
  auto made =
      store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_CHECK(store::users::Get(tx, caller_id));
        CY_CHECK(store::orgs::Insert(tx, org));
        return store::orgs::AddMember(
            tx, OrgMember{org.id, std::string(caller_id), OrgRole::kOwner, now});
      });
  if (!made) {
    if (made.error().code() == Code::kAlreadyExists) {
      return Fail(Code::kAlreadyExists, "orgs: the slug \"" + std::string(slug) + "\" is taken");
    }
    return Fail(made.error());
  }
  return org;
}

Result<std::vector<OrgView>> Orgs::ListMine(std::string_view caller_id) {
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(
      platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<OrgView>> {
        CY_TRY(auto mine, store::orgs::ListForUser(tx, caller_id));
        std::vector<OrgView> out;
        out.reserve(mine.size());
        for (auto& [org, role] : mine) {
          CY_TRY(OrgView view, ViewFor(tx, std::move(org), role, caller_id, now));
          out.push_back(std::move(view));
        }
        return out;
      });
}

Result<OrgView> Orgs::Get(std::string_view caller_id, std::string_view org) {
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<OrgView> {
                           CY_TRY(Standing s, StandingIn(tx, caller_id, org));
                           return ViewFor(tx, std::move(s.org), *s.role, caller_id, now);
                         });
}

Result<std::vector<OrgMemberView>> Orgs::Members(std::string_view caller_id, std::string_view org) {
  return store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<std::vector<OrgMemberView>> {
                           CY_TRY(const Standing s, StandingIn(tx, caller_id, org));
                           CY_TRY(std::vector<OrgMember> members,
                                  store::orgs::ListMembers(tx, s.org.id));
                           std::vector<OrgMemberView> out;
                           out.reserve(members.size());
                           for (OrgMember& m : members) {
                             CY_TRY(OrgMemberView v, ViewOf(tx, std::move(m)));
                             out.push_back(std::move(v));
                           }
                           return out;
                         });
}

Result<OrgMemberView> Orgs::AddMember(std::string_view caller_id, std::string_view org,
                                      std::string_view user, OrgRole role) {
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<OrgMemberView> {
        CY_TRY(const Standing s, StandingIn(tx, caller_id, org));
        if (!Manages(*s.role)) return Fail(Denied("only owners and admins add members"));
        if (!MayTouch(*s.role, role)) return Fail(Denied("only owners add owners"));
        if (s.org.personal_of) {
          return Fail(Code::kFailedPrecondition,
                      "orgs: a personal organization has no other members; create an "
                      "organization to share");
        }
        CY_TRY(const User target, UserNamed(tx, user));
        CY_TRY(const auto existing, store::orgs::GetMember(tx, s.org.id, target.id));
        if (existing) {
          return Fail(Code::kAlreadyExists, "orgs: \"" + target.username +
                                                "\" is a member already (as " +
                                                std::string(OrgRoleName(existing->role)) + ")");
        }
        OrgMember m{s.org.id, target.id, role, now};
        CY_CHECK(store::orgs::AddMember(tx, m));
        return OrgMemberView{std::move(m), target.username, target.display_name};
      });
}

Result<OrgMemberView> Orgs::SetRole(std::string_view caller_id, std::string_view org,
                                    std::string_view user, OrgRole role) {
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<OrgMemberView> {
        CY_TRY(const Standing s, StandingIn(tx, caller_id, org));
        if (!Manages(*s.role)) return Fail(Denied("only owners and admins change roles"));
        CY_TRY(const User target, UserNamed(tx, user));
        CY_TRY(const auto current, store::orgs::GetMember(tx, s.org.id, target.id));
        if (!current) {
          return Fail(Code::kNotFound, "orgs: \"" + target.username + "\" is no member");
        }
        if (!MayTouch(*s.role, current->role) || !MayTouch(*s.role, role)) {
          return Fail(Denied("only owners change an owner's role or make owners"));
        }
        if (current->role == OrgRole::kOwner && role != OrgRole::kOwner) {
          CY_CHECK(store::orgs::Lock(tx, s.org.id));  // two demotions never both pass
          CY_TRY(const int64_t owners, store::orgs::CountOwners(tx, s.org.id));
          if (owners <= 1) {
            return Fail(
                Code::kFailedPrecondition,
                "orgs: \"" + target.username + "\" is the last owner; make another owner first");
          }
        }
        CY_CHECK(store::orgs::SetRole(tx, s.org.id, target.id, role));
        OrgMember m = *current;
        m.role = role;
        return OrgMemberView{std::move(m), target.username, target.display_name};
      });
}

Result<void> Orgs::RemoveMember(std::string_view caller_id, std::string_view org,
                                std::string_view user) {
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_TRY(const Standing s, StandingIn(tx, caller_id, org));
        CY_TRY(const User target, UserNamed(tx, user));
        CY_TRY(const auto current, store::orgs::GetMember(tx, s.org.id, target.id));
        if (!current) {
          return Fail(Code::kNotFound, "orgs: \"" + target.username + "\" is no member");
        }
        const bool self = target.id == caller_id;
        if (!self && (!Manages(*s.role) || !MayTouch(*s.role, current->role))) {
          return Fail(Denied(Manages(*s.role) ? "only owners remove an owner"
                                              : "only owners and admins remove members"));
        }
        if (current->role == OrgRole::kOwner) {
          CY_CHECK(store::orgs::Lock(tx, s.org.id));
          CY_TRY(const int64_t owners, store::orgs::CountOwners(tx, s.org.id));
          if (owners <= 1) {
            return Fail(
                Code::kFailedPrecondition,
                "orgs: \"" + target.username + "\" is the last owner; make another owner first");
          }
        }
        return store::orgs::RemoveMember(tx, s.org.id, target.id);
      });
}

Result<Org> Orgs::SetQuotas(std::string_view caller_id, std::string_view org,
                            const OrgQuotas& org_quotas, const OrgQuotas& member_quotas,
                            std::optional<int64_t> expected_version) {
  CY_CHECK(ValidateOrgQuotas(org_quotas));
  CY_CHECK(ValidateOrgQuotas(member_quotas));
  const int64_t now = platform_->clock().NowMillis();
  return store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Org> {
    CY_TRY(Standing s, StandingIn(tx, caller_id, org));
    if (!Manages(*s.role)) {
      return Fail(Denied("only owners and admins set quotas"));
    }
    if (expected_version && *expected_version != s.org.version) {
      return Fail(Code::kConflict, "orgs: the organization changed since version " +
                                       std::to_string(*expected_version) + " (it is " +
                                       std::to_string(s.org.version) + " now)");
    }
    s.org.org_quotas = org_quotas;
    s.org.member_quotas = member_quotas;
    return store::orgs::Update(tx, s.org, now);
  });
}

}  // namespace codeyard
