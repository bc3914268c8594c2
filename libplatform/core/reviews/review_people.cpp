// Reviews: reviewers with their levels and statistics, notifications, and blob collection.
#include <algorithm>
#include <map>
#include <tuple>

#include "codeyard/audit.hpp"
#include "core/reviews/reviews_impl.hpp"
#include "core/store/audit.hpp"
#include "core/store/blobs.hpp"
#include "core/store/notifications.hpp"
#include "core/store/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using reviews::Caller;

std::optional<int64_t> Median(std::vector<int64_t> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// Per reviewer, from the history: decisions, approvals, and per (review, revision) the
// time from its submission to the reviewer's first comment or decision, and to the decision.
struct Tally {
  int64_t done = 0;
  int64_t approvals = 0;
  std::vector<int64_t> first_response;
  std::vector<int64_t> decision;
};

std::map<std::string, Tally> Tallies(const std::vector<ReviewHistoryEntry>& lines) {
  std::map<std::string, std::string> author;                     // review -> author
  std::map<std::pair<std::string, int64_t>, int64_t> submitted;  // (review, revision) -> at
  std::map<std::tuple<std::string, int64_t, std::string>, bool> responded;
  std::map<std::string, Tally> out;
  for (const ReviewHistoryEntry& h : lines) {  // oldest first
    if (h.action == "created" || h.action == "resubmitted") {
      if (h.action == "created") author[h.review_id] = h.actor_id;
      submitted[{h.review_id, h.revision}] = h.at;
      continue;
    }
    if (author[h.review_id] == h.actor_id) continue;  // the author's own comments
    const auto since = submitted.find({h.review_id, h.revision});
    if (since == submitted.end()) continue;
    Tally& t = out[h.actor_id];
    bool& first = responded[{h.review_id, h.revision, h.actor_id}];
    if (!first) {
      first = true;
      t.first_response.push_back(h.at - since->second);
    }
    if (h.action == "decided") {
      ++t.done;
      if (h.to == ReviewStatus::kApproved) ++t.approvals;
      t.decision.push_back(h.at - since->second);
    }
  }
  return out;
}

constexpr int64_t kDefaultPageLimit = 50;  // Notifications' default, MarkRead's answer

// The newest `limit` notifications of `user_id` and how many are unread.
Result<NotificationPage> PageOf(Transaction& tx, const std::string& user_id, int64_t limit) {
  NotificationPage page;
  CY_TRY(page.items, store::notifications::Latest(tx, user_id, limit));
  CY_TRY(page.unread, store::notifications::Unread(tx, user_id));
  return page;
}

}  // namespace

Result<std::vector<ReviewerStats>> Reviews::Reviewers(std::string_view caller_id) {
  return store::Transact(
      impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<ReviewerStats>> {
        CY_CHECK(Impl::LoadCaller(tx, caller_id));
        CY_TRY(const auto users, store::reviews::ReviewerUsers(tx));
        // One pass over the decision-related history; its cost grows with all reviews ever
        // made (a later step can keep running totals per reviewer if that matters).
        CY_TRY(const auto lines, store::reviews::HistoryOfActions(
                                     tx, {"created", "resubmitted", "commented", "decided"}));
        const std::map<std::string, Tally> tallies = Tallies(lines);
        std::vector<ReviewerStats> out;
        out.reserve(users.size());
        for (const auto& u : users) {
          ReviewerStats s;
          s.user_id = u.id;
          s.username = u.username;
          s.level = u.level;
          s.open_reviews = u.open_reviews;
          if (const auto t = tallies.find(u.id); t != tallies.end()) {
            s.reviews_done = t->second.done;
            s.approvals = t->second.approvals;
            s.approval_rate = s.reviews_done == 0 ? 0.0
                                                  : static_cast<double>(s.approvals) /
                                                        static_cast<double>(s.reviews_done);
            s.median_first_response_ms = Median(t->second.first_response);
            s.median_decision_ms = Median(t->second.decision);
          }
          out.push_back(std::move(s));
        }
        return out;
      });
}

Result<User> Reviews::SetReviewerLevel(std::string_view caller_id, std::string_view user_id,
                                       int level) {
  if (level < 0 || level > kMaxReviewerLevel) {
    return Fail(Code::kInvalidArgument,
                "reviews: reviewer_level must be 0-4, got " + std::to_string(level));
  }
  return store::Transact(impl_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<User> {
    CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
    CY_CHECK(reviews::AuthorizeSetLevel(caller, user_id));
    CY_TRY(User user, store::users::Get(tx, user_id));
    user.reviewer_level = level;
    const int64_t now = impl_->Now();
    CY_TRY(User updated, store::users::Update(tx, user, now));
    // admin20: level changes are audited, in the changing transaction.
    CY_CHECK(store::audit::Record(tx, now, caller.id, audit_action::kReviewerLevel, user_id,
                                  "{\"reviewer_level\":" + std::to_string(level) + "}"));
    return updated;
  });
}

Result<NotificationPage> Reviews::Notifications(std::string_view caller_id, int64_t limit) {
  if (limit < 1 || limit > kMaxPageLimit) {
    return Fail(Code::kInvalidArgument, "limit must be 1-" + std::to_string(kMaxPageLimit) +
                                            ", got " + std::to_string(limit));
  }
  return store::Transact(impl_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<NotificationPage> {
                           CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
                           return PageOf(tx, caller.id, limit);
                         });
}

Result<NotificationPage> Reviews::MarkRead(std::string_view caller_id,
                                           const std::vector<int64_t>& ids, bool all) {
  if (!all && ids.size() > static_cast<std::size_t>(kMaxPageLimit)) {
    return Fail(Code::kInvalidArgument, "reviews: at most 200 ids at once");
  }
  // The page read back in the marking's transaction: an error means nothing was marked.
  return store::Transact(impl_->storage(), TxKind::kWrite,
                         [&](Transaction& tx) -> Result<NotificationPage> {
                           CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
                           CY_CHECK(store::notifications::MarkRead(tx, caller.id, ids, all));
                           return PageOf(tx, caller.id, kDefaultPageLimit);
                         });
}

Result<int64_t> Reviews::CollectBlobs() { return store::blobs::CollectAll(impl_->storage()); }

}  // namespace codeyard
