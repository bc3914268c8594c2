// The Problems service over store::problems (see codeyard/problem_store.hpp).
#include "codeyard/problem_store.hpp"

#include "codeyard/audit.hpp"
#include "codeyard/images.hpp"
#include "codeyard/platform.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/audit.hpp"
#include "core/store/problems.hpp"
#include "core/store/store_util.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

Error ProblemNotFound() { return {Error::Code::kNotFound, "problems: problem not found"}; }

// A problem's org_id, given as an id or a slug, becomes the organization's id.
Result<void> CanonicalOrg(Storage& storage, Problem& problem) {
  if (problem.org_id.empty()) return {};
  auto org = store::Transact(storage, TxKind::kRead,
                             [&](Transaction& tx) { return orgs::Find(tx, problem.org_id); });
  if (!org) {
    if (org.error().code() != Error::Code::kNotFound) return Fail(org.error());
    return Fail(Error::Code::kInvalidArgument, "problem '" + problem.id + "': org_id \"" +
                                                   problem.org_id + "\" names no organization");
  }
  problem.org_id = org->id;
  return {};
}

}  // namespace

Problems::Problems(std::shared_ptr<Platform> platform, std::string images_dir)
    : platform_(std::move(platform)), images_dir_(std::move(images_dir)) {}

Result<void> Problems::Check(const Problem& problem) const {
  CY_CHECK(ValidateProblem(problem));
  if (!problem.image.empty()) {
    auto known = images::CheckKnown(images_dir_, problem.image);
    // The backend's own word (k8s: the names its URI maps), so a pod can start on it.
    if (const auto& executor = platform_->executor(); known && executor) {
      known = executor->CheckImage(problem.image);
    }
    if (!known) {
      return Fail(Error::Code::kInvalidArgument,
                  "problem '" + problem.id + "': " + known.error().message());
    }
  }
  return {};
}

Result<bool> Problems::IsAdmin(std::string_view caller_id) {
  if (caller_id.empty()) return false;
  return store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<bool> {
    auto user = store::users::Get(tx, caller_id);
    if (!user) {
      if (user.error().code() == Error::Code::kNotFound) return false;
      return Fail(user.error());
    }
    return user->role == Role::kAdmin && !user->disabled;
  });
}

Result<void> Problems::RequireAdmin(std::string_view caller_id) {
  CY_TRY(const bool admin, IsAdmin(caller_id));
  if (!admin) return Fail(Error::Code::kPermissionDenied, "problems: only admins change problems");
  return {};
}

Result<void> Problems::MayChange(std::string_view caller_id, std::string_view org_id,
                                 std::string_view id) {
  CY_TRY(const bool admin, IsAdmin(caller_id));
  if (admin) return {};
  const Error denied(Error::Code::kPermissionDenied,
                     "problems: only admins, and an organization's owners and admins for its "
                     "problems, change problems");
  if (org_id.empty()) return Fail(denied);
  return store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<void> {
    CY_TRY(const std::optional<OrgRole> role, orgs::RoleOf(tx, org_id, caller_id));
    if (!role || *role == OrgRole::kMember) return Fail(denied);
    // A problem of another organization (or the platform's) is not theirs to replace.
    CY_TRY(Rows rows,
           tx.Query("SELECT org_id FROM problems WHERE id = ?", {Value{std::string(id)}}));
    if (!rows.empty()) {
      CY_TRY(const std::optional<std::string> owner, store::OptText(rows.front(), 0));
      if (owner.value_or("") != org_id) return Fail(denied);
    }
    return {};
  });
}

namespace {

// admin20: stores a problem and records it in the audit log (actor: the admin, none for the
// operator), in one transaction.
Result<Problem> PutAudited(Platform& platform, std::optional<std::string_view> actor,
                           Problem problem, bool create_only) {
  const int64_t now = platform.clock().NowMillis();
  CY_TRY(
      problem.created_at,
      store::Transact(platform.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<int64_t> {
        CY_TRY(const int64_t created, store::problems::Put(tx, problem, now, create_only));
        CY_CHECK(store::audit::Record(tx, now, actor, audit_action::kProblemPut, problem.id));
        return created;
      }));
  problem.updated_at = now;
  return problem;
}

}  // namespace

Result<Problem> Problems::Put(std::string_view caller_id, Problem problem) {
  CY_CHECK(CanonicalOrg(platform_->storage(), problem));
  CY_CHECK(MayChange(caller_id, problem.org_id, problem.id));
  CY_CHECK(Check(problem));
  return PutAudited(*platform_, caller_id, std::move(problem), false);
}

Result<Problem> Problems::PutAsOperator(Problem problem) {
  CY_CHECK(CanonicalOrg(platform_->storage(), problem));
  CY_CHECK(Check(problem));
  return PutAudited(*platform_, std::nullopt, std::move(problem), false);
}

Result<Problem> Problems::Create(std::string_view caller_id, Problem problem) {
  CY_CHECK(CanonicalOrg(platform_->storage(), problem));
  CY_CHECK(MayChange(caller_id, problem.org_id, problem.id));
  CY_CHECK(Check(problem));
  return PutAudited(*platform_, caller_id, std::move(problem), /*create_only=*/true);
}

Result<void> Problems::Delete(std::string_view caller_id, std::string_view id) {
  CY_TRY(const bool admin, IsAdmin(caller_id));
  if (!admin) return Fail(Error::Code::kPermissionDenied, "problems: only admins change problems");
  CY_TRY(
      const bool deleted,
      store::Transact(platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<bool> {
        CY_TRY(const bool gone, store::problems::Delete(tx, id));
        if (gone) {
          CY_CHECK(store::audit::Record(tx, platform_->clock().NowMillis(), caller_id,
                                        audit_action::kProblemDelete, id));
        }
        return gone;
      }));
  if (!deleted) return Fail(ProblemNotFound());
  return {};
}

Result<PublicProblem> Problems::Get(std::string_view caller_id, std::string_view id) {
  CY_TRY(const bool admin, IsAdmin(caller_id));
  return store::Transact(
      platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<PublicProblem> {
        auto problem = store::problems::Get(tx, id, /*hidden=*/false);
        if (!problem) {
          if (problem.error().code() == Error::Code::kNotFound) return Fail(ProblemNotFound());
          return Fail(problem.error());
        }
        if (!problem->is_public && !admin) return Fail(ProblemNotFound());
        // Visibility "org": the organization's members only (codeyard/orgs.hpp).
        if (problem->org_only && !admin) {
          CY_TRY(const bool member, orgs::IsMember(tx, problem->org_id, caller_id));
          if (!member) return Fail(ProblemNotFound());
        }
        CY_TRY(Rows counts, tx.Query("SELECT COUNT(*) FROM problem_tests WHERE problem_id = ? "
                                     "AND is_public = 0",
                                     {Value{std::string(id)}}));
        PublicProblem out;
        CY_TRY(out.hidden_tests, counts.front().Int(0));
        // Hidden tests outside groups count towards the maximum with their points.
        CY_TRY(Rows points, tx.Query("SELECT COALESCE(SUM(points), 0) FROM problem_tests WHERE "
                                     "problem_id = ? AND is_public = 0 AND group_name = ''",
                                     {Value{std::string(id)}}));
        CY_TRY(const double hidden_points, points.front().Double(0));
        out.max_score = MaxScore(*problem) + hidden_points;
        problem->checker.program.reset();
        if (problem->interactor) problem->interactor->files.clear();
        out.problem = std::move(*problem);
        return out;
      });
}

Result<Page<ProblemSummary>> Problems::List(std::string_view caller_id,
                                            const ProblemListRequest& request) {
  CY_TRY(const bool admin, IsAdmin(caller_id));
  return ListPage(request, admin, caller_id);
}

Result<Page<ProblemSummary>> Problems::ListAsOperator(const ProblemListRequest& request) {
  if (request.solved) {
    return Fail(Error::Code::kInvalidArgument,
                "problems: an operator's list has no caller to "
                "be solved by");
  }
  return ListPage(request, true, "");
}

Result<Page<ProblemSummary>> Problems::ListPage(const ProblemListRequest& request, bool admin,
                                                std::string_view caller_id) {
  const int64_t limit = std::clamp<int64_t>(request.page.limit, 1, kMaxPageLimit);
  store::problems::ListFilter filter{
      request.level,  request.topic,          admin,
      request.solved, std::string(caller_id), std::string(caller_id)};
  CY_TRY(std::vector<store::problems::Summary> rows,
         store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::problems::List(tx, filter, request.page.cursor, limit + 1);
         }));
  Page<ProblemSummary> page;
  for (auto& r : rows) {
    if (static_cast<int64_t>(page.items.size()) == limit) {
      page.next_cursor = page.items.back().id;
      break;
    }
    page.items.push_back({std::move(r.id), std::move(r.title), std::move(r.tags), r.is_public,
                          r.public_tests, r.hidden_tests, r.updated_at});
  }
  return page;
}

Result<Problem> Problems::ForGrading(std::string_view id) {
  auto problem = store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) {
    return store::problems::Get(tx, id, /*hidden=*/true);
  });
  if (!problem && problem.error().code() == Error::Code::kNotFound) return Fail(ProblemNotFound());
  return problem;
}

}  // namespace codeyard
