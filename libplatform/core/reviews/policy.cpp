#include "core/reviews/policy.hpp"

#include <algorithm>

namespace codeyard::reviews {
namespace {

using Code = Error::Code;

std::string_view Verb(Action action) {
  switch (action) {
    case Action::kRead:
      return "read";
    case Action::kComment:
      return "comment on";
    case Action::kClaim:
      return "claim";
    case Action::kUnclaim:
      return "unclaim";
    case Action::kDecide:
      return "decide";
    case Action::kWithdraw:
      return "withdraw";
    case Action::kResubmit:
      return "resubmit";
  }
  return "change";
}

bool IsReviewer(const Caller& c, const Review& r) {
  return r.reviewer_id && *r.reviewer_id == c.id;
}

}  // namespace

Error ReviewNotFound() { return Error(Code::kNotFound, "reviews: review not found"); }

std::string_view PoolOrg(const Review& r) {
  return r.org_id.empty() || r.org_id == r.author_id ? std::string_view() : r.org_id;
}

bool Eligible(const Caller& c, const Review& r) {
  const std::string_view pool = PoolOrg(r);
  const bool in_pool = pool.empty() || std::ranges::find(c.orgs, pool) != c.orgs.end();
  return c.id != r.author_id && c.level >= std::max(1, r.required_level) && in_pool;
}

bool Visible(const Caller& c, const Review& r) {
  return c.id == r.author_id || IsReviewer(c, r) || c.role == Role::kAdmin ||
         (r.status == ReviewStatus::kPending && Eligible(c, r));
}

Result<void> Authorize(const Caller& c, const Review& r, Action action) {
  // A reviewer eligible for a review that someone else claimed first (it left the queue)
  // learns that it was claimed: the lost race is a conflict naming the status, not a
  // not-found. That reveals only the status of a review at their level.
  const bool lost_race = action == Action::kClaim && Eligible(c, r);
  if (!Visible(c, r) && !lost_race) return Fail(ReviewNotFound());
  const bool author = c.id == r.author_id;
  const bool reviewer = IsReviewer(c, r);
  const bool admin = c.role == Role::kAdmin;
  bool allowed = false;
  std::string why;
  switch (action) {
    case Action::kRead:
      allowed = true;
      break;
    case Action::kComment:
      allowed = author || reviewer || admin;
      why = "only the author, the assigned reviewer and admins comment; claim it first";
      break;
    case Action::kClaim:
      allowed = Eligible(c, r);
      why = author ? "authors never review their own requests"
                   : "it needs reviewer level " + std::to_string(r.required_level) +
                         " and yours is " + std::to_string(c.level);
      break;
    case Action::kUnclaim:
      allowed = reviewer || admin;
      why = "only its reviewer or an admin unclaims it";
      break;
    case Action::kDecide:
      allowed = reviewer;
      why = "only its assigned reviewer decides";
      break;
    case Action::kWithdraw:
    case Action::kResubmit:
      allowed = author;
      why = "only its author may " + std::string(Verb(action)) + " it";
      break;
  }
  if (allowed) return {};
  return Fail(Code::kPermissionDenied,
              "reviews: cannot " + std::string(Verb(action)) + " this review: " + why);
}

bool MayWatchTerminal(const Caller& c, const Review& r, bool shared) {
  return shared && r.status == ReviewStatus::kInReview && c.id != r.author_id &&
         (IsReviewer(c, r) || c.role == Role::kAdmin);
}

Result<void> AuthorizeSetLevel(const Caller& c, std::string_view target_user) {
  if (c.id == target_user || c.role == Role::kAdmin) return {};
  return Fail(Code::kPermissionDenied, "reviews: only admins set another user's reviewer level");
}

Result<ReviewStatus> Next(const Review& r, Action action, std::optional<ReviewDecision> decision) {
  using S = ReviewStatus;
  std::optional<S> next;
  switch (action) {
    case Action::kRead:
    case Action::kComment:
      next = r.status;
      break;
    case Action::kClaim:
      if (r.status == S::kPending) next = S::kInReview;
      break;
    case Action::kUnclaim:
      // A reviewer may hand back a review waiting for the author's changes too; the
      // resubmission then goes to the queue.
      if (r.status == S::kInReview) next = S::kPending;
      if (r.status == S::kChangesRequested) next = S::kChangesRequested;
      break;
    case Action::kDecide:
      if (r.status == S::kInReview && decision) {
        next = *decision == ReviewDecision::kApprove          ? S::kApproved
               : *decision == ReviewDecision::kRequestChanges ? S::kChangesRequested
                                                              : S::kRejected;
      }
      break;
    case Action::kWithdraw:
      if (r.status == S::kPending || r.status == S::kInReview || r.status == S::kChangesRequested) {
        next = S::kWithdrawn;
      }
      break;
    case Action::kResubmit:
      if (r.status == S::kChangesRequested) next = r.reviewer_id ? S::kInReview : S::kPending;
      break;
  }
  if (next) return *next;
  return Fail(Code::kConflict, "reviews: cannot " + std::string(Verb(action)) +
                                   " a review that is " + std::string(ReviewStatusName(r.status)));
}

}  // namespace codeyard::reviews
