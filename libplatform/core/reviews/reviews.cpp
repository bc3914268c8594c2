#include <array>
#include <utility>

#include "codeyard/audit.hpp"
#include "codeyard/id.hpp"
#include "core/files/file_ops.hpp"
#include "core/files/pages.hpp"
#include "core/json_text.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/reviews/reviews_impl.hpp"
#include "core/store/audit.hpp"
#include "core/store/notifications.hpp"
#include "core/store/orgs.hpp"
#include "core/store/review_files.hpp"
#include "core/store/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using reviews::Action;
using reviews::Caller;
namespace notifications = store::notifications;

constexpr std::array<std::string_view, 6> kStatusNames = {
    "pending", "in_review", "approved", "changes_requested", "rejected", "withdrawn"};
constexpr std::array<std::string_view, 4> kPriorityNames = {"low", "normal", "high", "urgent"};
constexpr std::array<std::string_view, 3> kDecisionNames = {"approve", "request_changes", "reject"};
constexpr std::array<std::string_view, 3> kRoleNames = {"author", "queue", "assigned"};

template <class E, std::size_t N>
Result<E> ParseOf(std::string_view name, const std::array<std::string_view, N>& names,
                  std::string_view what) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  std::string expected;
  for (const std::string_view n : names)
    expected += (expected.empty() ? "" : ", ") + std::string(n);
  return Fail(Code::kInvalidArgument, "reviews: unknown " + std::string(what) + " \"" +
                                          std::string(name) + "\" (expected " + expected + ")");
}

constexpr std::size_t kMaxTitleChars = 200;
constexpr std::size_t kMaxDescriptionBytes = 65536;

std::size_t CharCount(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

Result<void> CheckNew(const NewReview& r) {
  if (r.title.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(Code::kInvalidArgument, "reviews: title is empty");
  }
  if (CharCount(r.title) > kMaxTitleChars) {
    return Fail(Code::kInvalidArgument, "reviews: title is over 200 characters");
  }
  if (r.description.size() > kMaxDescriptionBytes) {
    return Fail(Code::kInvalidArgument, "reviews: description is over 65536 bytes");
  }
  if (r.required_level < 0 || r.required_level > kMaxReviewerLevel) {
    return Fail(Code::kInvalidArgument,
                "reviews: required_level must be 0-4, got " + std::to_string(r.required_level));
  }
  if (static_cast<int>(r.priority) < 0 || static_cast<int>(r.priority) > 3) {
    return Fail(Code::kInvalidArgument, "reviews: unknown priority");
  }
  return {};
}

std::string_view HistoryAction(Action action) {
  switch (action) {
    case Action::kClaim:
      return "claimed";
    case Action::kUnclaim:
      return "unclaimed";
    case Action::kDecide:
      return "decided";
    case Action::kWithdraw:
      return "withdrawn";
    case Action::kResubmit:
      return "resubmitted";
    case Action::kRead:
    case Action::kComment:
      break;
  }
  return "changed";
}

// Cursors: the queue's key is "priority:created_at:id", the other lists' "created_at:id".
std::string_view CursorTag(ReviewRole role) {
  return role == ReviewRole::kQueue ? "rq" : role == ReviewRole::kAuthor ? "ra" : "rr";
}

std::string CursorKey(ReviewRole role, const Review& r) {
  std::string key;
  if (role == ReviewRole::kQueue) key = std::to_string(static_cast<int>(r.priority)) + ":";
  return key + std::to_string(r.created_at) + ":" + r.id;
}

Result<std::optional<Review>> CursorReview(ReviewRole role, std::string_view cursor) {
  CY_TRY(const std::optional<std::string> key, files::DecodeCursor(CursorTag(role), cursor));
  if (!key) return std::optional<Review>();
  const Error bad(Code::kInvalidArgument,
                  "cursor is malformed: pass the next_cursor of the previous page unchanged");
  Review r;
  std::string_view rest = *key;
  auto take_int = [&](int64_t& out) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 19) return false;
    int64_t v = 0;
    for (const char c : rest.substr(0, colon)) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    rest.remove_prefix(colon + 1);
    return true;
  };
  if (role == ReviewRole::kQueue) {
    int64_t p = 0;
    if (!take_int(p) || p > 3) return Fail(bad);
    r.priority = static_cast<ReviewPriority>(p);
  }
  if (!take_int(r.created_at) || rest.empty()) return Fail(bad);
  r.id = std::string(rest);
  return std::optional<Review>(std::move(r));
}

}  // namespace

std::string_view ReviewStatusName(ReviewStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}
Result<ReviewStatus> ParseReviewStatus(std::string_view name) {
  return ParseOf<ReviewStatus>(name, kStatusNames, "status");
}
std::string_view ReviewPriorityName(ReviewPriority priority) {
  return kPriorityNames[static_cast<std::size_t>(priority)];
}
Result<ReviewPriority> ParseReviewPriority(std::string_view name) {
  return ParseOf<ReviewPriority>(name, kPriorityNames, "priority");
}
Result<ReviewDecision> ParseReviewDecision(std::string_view name) {
  return ParseOf<ReviewDecision>(name, kDecisionNames, "decision");
}
Result<ReviewRole> ParseReviewRole(std::string_view name) {
  return ParseOf<ReviewRole>(name, kRoleNames, "role");
}
std::string_view FileChangeName(FileChange change) {
  return change == FileChange::kAdded     ? "added"
         : change == FileChange::kRemoved ? "removed"
                                          : "changed";
}

Result<Caller> Reviews::Impl::LoadCaller(Transaction& tx, std::string_view user_id) {
  CY_TRY(const User user, store::users::Get(tx, user_id));
  Caller caller{user.id, user.role, user.reviewer_level};
  if (user.reviewer_level > 0) {  // only reviewers need their pools
    CY_TRY(const auto orgs, store::orgs::ListForUser(tx, user.id));
    for (const auto& member : orgs) caller.orgs.push_back(member.first.id);
  }
  return caller;
}

Result<Review> Reviews::Impl::Load(Transaction& tx, const Caller& caller, std::string_view id,
                                   Action action) {
  auto review = store::reviews::Get(tx, id);
  if (!review) {
    if (review.error().code() == Code::kNotFound) return Fail(reviews::ReviewNotFound());
    return Fail(review.error());
  }
  CY_CHECK(reviews::Authorize(caller, *review, action));
  return review;
}

std::string Reviews::Impl::ReviewData(const Review& r, std::string_view action,
                                      std::string_view extra_fields) {
  std::string out = "{\"review_id\":";
  AppendJsonString(out, r.id);
  out += ",\"action\":";
  AppendJsonString(out, action);
  out += ",\"status\":";
  AppendJsonString(out, ReviewStatusName(r.status));
  out += ",\"revision\":" + std::to_string(r.revision) + ",\"title\":";
  AppendJsonString(out, r.title);
  if (!extra_fields.empty()) {
    out += ",";
    out += extra_fields;
  }
  return out + "}";
}

Result<void> Reviews::Impl::Announce(Transaction& tx, const Review& r, std::string_view action,
                                     const std::set<std::string>& to, int64_t at) {
  const std::string type = "review." + std::string(action);
  const std::string data = ReviewData(r, action);
  for (const std::string& user : to) {
    CY_CHECK(notifications::Event(tx, type, r.workspace_id, user, data, at));
  }
  return {};
}

ReviewsOptions ReviewsOptionsFrom(const Config& config) {
  return ReviewsOptions{config.reviews_auto_assign};
}

Reviews::Reviews(std::shared_ptr<Platform> platform, ReviewsOptions options)
    : impl_(std::make_unique<Impl>(std::move(platform), options)) {}
Reviews::~Reviews() = default;

Result<Review> Reviews::Create(std::string_view caller_id, const NewReview& in) {
  CY_CHECK(CheckNew(in));
  return store::Transact(impl_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Review> {
    CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
    CY_TRY(const Workspace ws, files::OwnedWorkspace(tx, caller.id, in.workspace_id));
    // The row lock orders the snapshot after any file operation in progress.
    CY_CHECK(store::workspaces::Lock(tx, ws.id));
    const int64_t now = impl_->Now();
    Review r;
    r.id = NewUuid();
    r.author_id = caller.id;
    r.workspace_id = ws.id;
    r.org_id = ws.org_id;  // the workspace's organization's reviewers review it
    r.title = in.title;
    r.description = in.description;
    r.priority = in.priority;
    r.required_level = in.required_level;
    r.created_at = r.updated_at = now;
    std::optional<std::string> assignee;
    if (impl_->options().auto_assign) {
      CY_TRY(assignee, store::reviews::LeastBusyReviewer(tx, r.required_level, caller.id,
                                                         reviews::PoolOrg(r)));
    }
    if (assignee) {
      r.status = ReviewStatus::kInReview;
      r.reviewer_id = assignee;
    }
    CY_CHECK(store::reviews::Insert(tx, r));
    CY_CHECK(store::review_files::Snapshot(tx, r.id, 1, ws.id, now));
    CY_CHECK(store::reviews::Append(
        tx, {r.id, caller.id, "created", std::nullopt, ReviewStatus::kPending, 1, "{}"}, now));
    std::set<std::string> to{caller.id};
    if (assignee) {
      std::string detail = "{\"reviewer_id\":";
      AppendJsonString(detail, *assignee);
      CY_CHECK(store::reviews::Append(tx,
                                      {r.id, caller.id, "assigned", ReviewStatus::kPending,
                                       ReviewStatus::kInReview, 1, detail + "}"},
                                      now));
      CY_CHECK(notifications::Notify(
          tx, *assignee,
          {"review.assigned", r.id, r.workspace_id, caller.id, Impl::ReviewData(r, "assigned")},
          now));
      to.insert(*assignee);
    } else {
      CY_CHECK(notifications::NotifyEligible(
          tx, r.required_level, caller.id,
          {"review.queued", r.id, r.workspace_id, caller.id, Impl::ReviewData(r, "queued")}, now,
          reviews::PoolOrg(r)));
    }
    CY_CHECK(Impl::Announce(tx, r, "created", to, now));
    return r;
  });
}

Result<Page<Review>> Reviews::List(std::string_view caller_id, const ReviewListRequest& request) {
  CY_CHECK(files::CheckPageLimit(request.page));
  CY_TRY(const std::optional<Review> after, CursorReview(request.role, request.page.cursor));
  return store::Transact(
      impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Page<Review>> {
        CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
        const store::reviews::ListFilter filter{request.priority, request.status};
        const int64_t limit = request.page.limit + 1;
        std::vector<Review> rows;
        switch (request.role) {
          case ReviewRole::kAuthor: {
            CY_TRY(rows, store::reviews::ByAuthor(tx, caller.id, filter, after, limit));
            break;
          }
          case ReviewRole::kAssigned: {
            CY_TRY(rows, store::reviews::ByReviewer(tx, caller.id, filter, after, limit));
            break;
          }
          case ReviewRole::kQueue: {
            if (caller.level < 1) break;  // level 0: not a reviewer, an empty queue
            CY_TRY(rows, store::reviews::Queue(tx, caller.level, caller.id, filter, after, limit));
            break;
          }
        }
        Page<Review> page;
        if (static_cast<int64_t>(rows.size()) > request.page.limit) {
          rows.resize(static_cast<std::size_t>(request.page.limit));
          page.next_cursor =
              files::EncodeCursor(CursorTag(request.role), CursorKey(request.role, rows.back()));
        }
        page.items = std::move(rows);
        return page;
      });
}

Result<Review> Reviews::Get(std::string_view caller_id, std::string_view id) {
  return store::Transact(impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<Review> {
    CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
    return Impl::Load(tx, caller, id, Action::kRead);
  });
}

Result<void> Reviews::AuthorizeTerminalWatch(std::string_view caller_id,
                                             std::string_view workspace_id) {
  return store::Transact(impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<void> {
    const Error not_found(Error::Code::kNotFound, "terminals: workspace not found");
    CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
    auto ws = store::workspaces::Get(tx, workspace_id);
    if (!ws) return Fail(ws.error().code() == Error::Code::kNotFound ? not_found : ws.error());
    if (!ws->terminal_shared) return Fail(not_found);
    store::reviews::ListFilter filter;
    filter.status = ReviewStatus::kInReview;
    // A user has few reviews in review at once; the page bound keeps this one query.
    CY_TRY(const std::vector<Review> open,
           store::reviews::ByAuthor(tx, ws->owner_id, filter, std::nullopt, 200));
    for (const Review& r : open) {
      if (r.workspace_id == ws->id && reviews::MayWatchTerminal(caller, r, ws->terminal_shared)) {
        return {};
      }
    }
    return Fail(not_found);
  });
}

Result<Review> Reviews::Impl::Transition(std::string_view caller_id, std::string_view id,
                                         Action action, std::optional<ReviewDecision> decision,
                                         std::string_view message) {
  return store::Transact(storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Review> {
    CY_TRY(const Caller caller, LoadCaller(tx, caller_id));
    CY_TRY(const Review before, Load(tx, caller, id, action));
    CY_TRY(const ReviewStatus next, reviews::Next(before, action, decision));
    const bool needs_message = decision && *decision != ReviewDecision::kApprove;
    if (needs_message && message.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return Fail(Code::kInvalidArgument,
                  "reviews: a decision to request changes or reject needs a message");
    }
    if (message.size() > kMaxDescriptionBytes) {
      return Fail(Code::kInvalidArgument, "reviews: message is over 65536 bytes");
    }
    const int64_t now = Now();
    Review r = before;
    r.status = next;
    std::string detail = "{}";
    switch (action) {
      case Action::kClaim:
        // The organization's open-claims quotas, under its row's lock (codeyard/orgs.hpp).
        CY_CHECK(orgs::CheckOpenClaims(tx, r.org_id, caller.id));
        r.reviewer_id = caller.id;
        break;
      case Action::kUnclaim:
        r.reviewer_id.reset();
        detail = "{\"reviewer_id\":";
        AppendJsonString(detail, *before.reviewer_id);
        detail += "}";
        break;
      case Action::kDecide:
        r.decision_message = message.empty() ? std::nullopt : std::optional(std::string(message));
        detail = "{\"decision\":";
        AppendJsonString(detail, kDecisionNames[static_cast<std::size_t>(*decision)]);
        detail += ",\"message\":";
        AppendJsonString(detail, message);
        detail += "}";
        break;
      case Action::kResubmit: {
        auto ws = files::OwnedWorkspace(tx, caller.id, r.workspace_id);
        if (!ws && ws.error().code() != Code::kNotFound) return Fail(ws.error());  // storage
        if (!ws) {
          return Fail(Code::kFailedPrecondition,
                      "reviews: the review's workspace is gone; submit a new review");
        }
        CY_CHECK(store::workspaces::Lock(tx, r.workspace_id));
        r.revision = before.revision + 1;
        r.decision_message.reset();
        CY_CHECK(store::review_files::Snapshot(tx, r.id, r.revision, r.workspace_id, now));
        break;
      }
      case Action::kWithdraw:
      case Action::kRead:
      case Action::kComment:
        break;
    }
    CY_TRY(r, store::reviews::UpdateIf(tx, r, now));
    const std::string_view what = HistoryAction(action);
    CY_CHECK(store::reviews::Append(
        tx, {r.id, caller.id, std::string(what), before.status, r.status, r.revision, detail},
        now));

    const notifications::NewNotification base{"", r.id, r.workspace_id, caller.id,
                                              ReviewData(r, what)};
    auto notify = [&](std::string_view user, std::string_view type) -> Result<void> {
      if (user == caller.id) return {};
      notifications::NewNotification n = base;
      n.type = type;
      return notifications::Notify(tx, user, n, now);
    };
    auto queue = [&]() -> Result<void> {
      notifications::NewNotification n = base;
      n.type = "review.queued";
      return notifications::NotifyEligible(tx, r.required_level, r.author_id, n, now,
                                           reviews::PoolOrg(r));
    };
    switch (action) {
      case Action::kClaim:
        CY_CHECK(notify(r.author_id, "review.claimed"));
        break;
      case Action::kUnclaim:
        if (r.status == ReviewStatus::kPending) CY_CHECK(queue());
        break;
      case Action::kDecide: {
        CY_CHECK(notify(r.author_id, "review.decided"));
        // admin20: decisions are audited, in the deciding transaction.
        std::string audit_detail = "{\"status\":";
        AppendJsonString(audit_detail, ReviewStatusName(r.status));
        audit_detail += '}';
        CY_CHECK(store::audit::Record(tx, now, caller.id, audit_action::kReviewDecision, r.id,
                                      std::move(audit_detail)));
        break;
      }
      case Action::kResubmit:
        if (r.reviewer_id) {
          CY_CHECK(notify(*r.reviewer_id, "review.resubmitted"));
        } else {
          CY_CHECK(queue());
        }
        break;
      case Action::kWithdraw:
        if (r.reviewer_id) CY_CHECK(notify(*r.reviewer_id, "review.withdrawn"));
        break;
      case Action::kRead:
      case Action::kComment:
        break;
    }
    std::set<std::string> to{r.author_id, caller.id};
    if (before.reviewer_id) to.insert(*before.reviewer_id);
    if (r.reviewer_id) to.insert(*r.reviewer_id);
    CY_CHECK(Announce(tx, r, what, to, now));
    return r;
  });
}

Result<Review> Reviews::Claim(std::string_view caller, std::string_view id) {
  return impl_->Transition(caller, id, Action::kClaim, std::nullopt, {});
}
Result<Review> Reviews::Unclaim(std::string_view caller, std::string_view id) {
  return impl_->Transition(caller, id, Action::kUnclaim, std::nullopt, {});
}
Result<Review> Reviews::Withdraw(std::string_view caller, std::string_view id) {
  return impl_->Transition(caller, id, Action::kWithdraw, std::nullopt, {});
}
Result<Review> Reviews::Resubmit(std::string_view caller, std::string_view id) {
  return impl_->Transition(caller, id, Action::kResubmit, std::nullopt, {});
}
Result<Review> Reviews::Decide(std::string_view caller, std::string_view id,
                               ReviewDecision decision, std::string_view message) {
  return impl_->Transition(caller, id, Action::kDecide, decision, message);
}

}  // namespace codeyard
