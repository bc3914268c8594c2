// The one access policy of reviews, and the one table of legal status transitions. Every
// Reviews call decides through Authorize (who may see and do what) and then Next (what the
// status becomes), so the rules are here and nowhere else. Pure functions; thread-safe.
//
// Who sees a review: its author, its assigned reviewer, admins, and while it is pending the
// reviewers eligible for it (level >= max(1, required_level), not the author, and for a review
// of an organization other than the author's personal one, a member of it), read-only.
// Anyone else gets kNotFound, the same error as for an id that does not exist, with one
// exception: an eligible reviewer claiming a review that is no longer pending gets the
// conflict naming its status (a lost claim race), as the API promises.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/records.hpp"
#include "codeyard/reviews.hpp"

namespace codeyard::reviews {

// The caller as the policy sees them, read from storage in the call's own transaction.
struct Caller {
  std::string id;
  Role role = Role::kUser;
  int level = 0;  // reviewer level; 0 is no reviewer
  // The organizations the caller is a member of: a review of an organization other than its
  // author's personal one goes to that organization's reviewers only (codeyard/orgs.hpp).
  std::vector<std::string> orgs{};
};

enum class Action {
  kRead,
  kComment,  // add a comment, resolve or unresolve one
  kClaim,
  kUnclaim,
  kDecide,
  kWithdraw,
  kResubmit,
};

[[nodiscard]] bool Eligible(const Caller& caller, const Review& review);
[[nodiscard]] bool Visible(const Caller& caller, const Review& review);

// kNotFound when the caller may not see the review; kPermissionDenied when they see it but
// may not do this.
[[nodiscard]] Result<void> Authorize(const Caller& caller, const Review& review, Action action);

// The status an action leads to from `review`'s current one (decision only for kDecide);
// kConflict naming the current status when the action is not legal from it.
[[nodiscard]] Result<ReviewStatus> Next(const Review& review, Action action,
                                        std::optional<ReviewDecision> decision = std::nullopt);

// Who may set `target_user`'s reviewer level: the user themselves (self-service, 0-4) or an
// admin. kPermissionDenied otherwise.
[[nodiscard]] Result<void> AuthorizeSetLevel(const Caller& caller, std::string_view target_user);

// The shared shells: whether the caller may watch the terminal of `review`'s workspace,
// read-only, given the owner's sharing flag. Only while sharing is on and the review is
// in_review, and only its assigned reviewer or an admin (never the author: it is theirs
// anyway). Pending reviews grant nothing: an eligible reviewer has not committed to it.
[[nodiscard]] bool MayWatchTerminal(const Caller& caller, const Review& review, bool shared);

// "reviews: review not found", for every review a caller may not see.
[[nodiscard]] Error ReviewNotFound();

// The organization whose members alone review `review` (its reviewer pool), or "" when every
// reviewer may (a review of its author's personal organization).
[[nodiscard]] std::string_view PoolOrg(const Review& review);

}  // namespace codeyard::reviews
