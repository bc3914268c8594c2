// The reviews service on both storage backends: every legal and illegal transition, the
// claim race, access for every role, snapshot immutability, the queue's order and pages.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "services/reviews_world.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using testing::FailsWith;
using testing::Must;
using testing::ReviewWorld;
using S = ReviewStatus;

TEMPLATE_TEST_CASE("reviews: create snapshots revision 1 and starts pending", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  const Review r = w.Submit(2, ReviewPriority::kHigh);
  CHECK(r.status == S::kPending);
  CHECK(r.revision == 1);
  CHECK(r.author_id == w.author);
  CHECK_FALSE(r.reviewer_id);
  CHECK(r.priority == ReviewPriority::kHigh);
  CHECK(r.required_level == 2);
  const auto tree = Must(w.reviews().Tree(w.author, r.id, 1));
  REQUIRE(tree.size() == 3);
  CHECK(tree[0].path == "lib");
  CHECK(tree[0].kind == ItemKind::kDir);
  CHECK(tree[1].path == "lib/util.py");
  CHECK(tree[2].path == "main.py");
  CHECK(tree[2].sha256 == Sha256Hex("a\nb\nc\nd\ne\n"));

  // Bad input, another user's workspace.
  FailsWith(w.reviews().Create(w.author, {w.ws, " ", "", ReviewPriority::kLow, 0}),
            Code::kInvalidArgument, "title");
  FailsWith(w.reviews().Create(w.author, {w.ws, "t", "", ReviewPriority::kLow, 5}),
            Code::kInvalidArgument, "required_level");
  FailsWith(w.reviews().Create(w.r1, {w.ws, "t", "", ReviewPriority::kLow, 0}), Code::kNotFound);
}

TEMPLATE_TEST_CASE("reviews: every legal transition, with history", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  const Review r = w.Submit(1);
  CHECK(Must(rv.Claim(w.r1, r.id)).status == S::kInReview);
  CHECK(Must(rv.Unclaim(w.r1, r.id)).status == S::kPending);
  Review claimed = Must(rv.Claim(w.r2, r.id));
  CHECK(claimed.reviewer_id == w.r2);
  Review changes = Must(rv.Decide(w.r2, r.id, ReviewDecision::kRequestChanges, "fix b"));
  CHECK(changes.status == S::kChangesRequested);
  CHECK(changes.decision_message == "fix b");
  Must(w.files().Write(w.author, w.ws, "main.py", "a\nB\nc\nd\ne\n"));
  Review again = Must(rv.Resubmit(w.author, r.id));
  CHECK(again.status == S::kInReview);  // the same reviewer keeps it
  CHECK(again.reviewer_id == w.r2);
  CHECK(again.revision == 2);
  CHECK(Must(rv.Decide(w.r2, r.id, ReviewDecision::kApprove, "")).status == S::kApproved);

  // Resubmission after the reviewer handed it back goes to the queue.
  const Review r2 = w.Submit(1);
  Must(rv.Claim(w.r1, r2.id));
  Must(rv.Decide(w.r1, r2.id, ReviewDecision::kRequestChanges, "no"));
  Review handed = Must(rv.Unclaim(w.r1, r2.id));
  CHECK(handed.status == S::kChangesRequested);
  CHECK_FALSE(handed.reviewer_id);
  CHECK(Must(rv.Resubmit(w.author, r2.id)).status == S::kPending);
  Must(rv.Claim(w.r1, r2.id));
  CHECK(Must(rv.Decide(w.r1, r2.id, ReviewDecision::kReject, "not this way")).status ==
        S::kRejected);

  // Withdraw from each undecided state.
  const Review p = w.Submit(1);
  CHECK(Must(rv.Withdraw(w.author, p.id)).status == S::kWithdrawn);
  const Review q = w.Submit(1);
  Must(rv.Claim(w.r1, q.id));
  CHECK(Must(rv.Withdraw(w.author, q.id)).status == S::kWithdrawn);
  const Review c = w.Submit(1);
  Must(rv.Claim(w.r1, c.id));
  Must(rv.Decide(w.r1, c.id, ReviewDecision::kRequestChanges, "x"));
  CHECK(Must(rv.Withdraw(w.author, c.id)).status == S::kWithdrawn);

  const auto history = Must(rv.History(w.author, r.id));
  std::vector<std::string> actions;
  for (const auto& h : history) actions.push_back(h.action);
  CHECK(actions == std::vector<std::string>{"created", "claimed", "unclaimed", "claimed", "decided",
                                            "resubmitted", "decided"});
  CHECK(history[1].from == S::kPending);
  CHECK(history[1].to == S::kInReview);
  CHECK(history[1].actor_id == w.r1);
  CHECK(history[4].detail_json.find("\"message\":\"fix b\"") != std::string::npos);
  CHECK(history[5].revision == 2);
  for (std::size_t i = 1; i < history.size(); ++i) CHECK(history[i].id > history[i - 1].id);
}

TEMPLATE_TEST_CASE("reviews: every illegal transition is a conflict naming the status", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  // One review in each status; r4 is its reviewer where it has one.
  std::map<S, std::string> in;
  in[S::kPending] = w.Submit(1).id;
  in[S::kInReview] = w.Submit(1).id;
  Must(rv.Claim(w.r4, in[S::kInReview]));
  for (const auto& [status, decision] : std::vector<std::pair<S, ReviewDecision>>{
           {S::kApproved, ReviewDecision::kApprove},
           {S::kChangesRequested, ReviewDecision::kRequestChanges},
           {S::kRejected, ReviewDecision::kReject}}) {
    in[status] = w.Submit(1).id;
    Must(rv.Claim(w.r4, in[status]));
    Must(rv.Decide(w.r4, in[status], decision, "m"));
  }
  in[S::kWithdrawn] = w.Submit(1).id;
  Must(rv.Claim(w.r4, in[S::kWithdrawn]));
  Must(rv.Withdraw(w.author, in[S::kWithdrawn]));

  // What each action may start from; everything else must be a conflict (the reviewer or
  // author who could otherwise do it calls, so only the status is wrong).
  const std::set<S> claim_ok{S::kPending};
  const std::set<S> unclaim_ok{S::kInReview, S::kChangesRequested};
  const std::set<S> decide_ok{S::kInReview};
  const std::set<S> withdraw_ok{S::kPending, S::kInReview, S::kChangesRequested};
  const std::set<S> resubmit_ok{S::kChangesRequested};
  for (const auto& [status, id] : in) {
    const std::string name(ReviewStatusName(status));
    INFO(name);
    if (!claim_ok.contains(status)) {
      // Not pending: only admins, the author and the reviewer (r4) see it. An admin with
      // level 4 makes the status the only obstacle.
      const std::string admin4 = w.AddUser("a4" + name.substr(0, 6), 4, Role::kAdmin);
      FailsWith(rv.Claim(admin4, id), Code::kConflict, name);
    }
    if (!unclaim_ok.contains(status) && status != S::kPending) {
      FailsWith(rv.Unclaim(w.r4, id), Code::kConflict, name);
    }
    if (!decide_ok.contains(status) && status != S::kPending) {
      FailsWith(rv.Decide(w.r4, id, ReviewDecision::kApprove, ""), Code::kConflict, name);
    }
    if (!withdraw_ok.contains(status)) {
      FailsWith(rv.Withdraw(w.author, id), Code::kConflict, name);
    }
    if (!resubmit_ok.contains(status)) {
      FailsWith(rv.Resubmit(w.author, id), Code::kConflict, name);
    }
  }
  // Pending has no reviewer: an admin unclaiming or deciding it meets the status.
  FailsWith(rv.Unclaim(w.admin, in[S::kPending]), Code::kConflict, "pending");
  // Deciding needs the reviewer; on a pending review nobody is: permission, not status.
  FailsWith(rv.Decide(w.r4, in[S::kPending], ReviewDecision::kApprove, ""),
            Code::kPermissionDenied);

  // A decision message is required for request_changes and reject.
  const std::string open = w.Submit(1).id;
  Must(rv.Claim(w.r1, open));
  FailsWith(rv.Decide(w.r1, open, ReviewDecision::kRequestChanges, " "), Code::kInvalidArgument,
            "message");
  FailsWith(rv.Decide(w.r1, open, ReviewDecision::kReject, ""), Code::kInvalidArgument, "message");
  CHECK(Must(rv.Get(w.r1, open)).status == S::kInReview);
}

TEMPLATE_TEST_CASE("reviews: many reviewers claim at once, exactly one wins", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  constexpr int kThreads = 8;
  std::vector<std::string> reviewers;
  for (int i = 0; i < kThreads; ++i) reviewers.push_back(w.AddUser("rev" + std::to_string(i), 3));
  for (int round = 0; round < 3; ++round) {
    const Review r = w.Submit(2);
    std::atomic<int> ready{0};
    std::atomic<int> won{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> other{0};
    std::mutex errors_mu;
    std::string errors;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        auto claimed = w.reviews().Claim(reviewers[static_cast<std::size_t>(i)], r.id);
        if (claimed) {
          ++won;
        } else if (claimed.error().code() == Code::kConflict &&
                   claimed.error().message().find("in_review") != std::string::npos) {
          ++conflicts;
        } else {
          ++other;
          const std::lock_guard lock(errors_mu);
          errors += claimed.error().ToString() + "\n";
        }
      });
    }
    for (auto& t : threads) t.join();
    INFO(errors);
    CHECK(won == 1);
    CHECK(conflicts == kThreads - 1);
    CHECK(other == 0);
    const Review after = Must(w.reviews().Get(w.author, r.id));
    REQUIRE(after.reviewer_id);
    const auto history = Must(w.reviews().History(w.author, r.id));
    CHECK(history.size() == 2);  // created, one claimed
    CHECK(history.back().actor_id == *after.reviewer_id);
  }
}

TEMPLATE_TEST_CASE("reviews: access for every role", "[reviews]", CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  const Review r = w.Submit(2);
  // Pending: the author, admins and eligible reviewers (r2, r4) see it; r1 (level 1) and a
  // level-0 user do not, and get the same not-found as a missing id.
  for (const std::string& who : {w.author, w.admin, w.r2, w.r4}) {
    CHECK(Must(rv.Get(who, r.id)).id == r.id);
    CHECK(Must(rv.Tree(who, r.id, 1)).size() == 3);
    Must(rv.History(who, r.id));
    Must(rv.Comments(who, r.id));
  }
  for (const std::string& who : {w.r1, w.outsider}) {
    FailsWith(rv.Get(who, r.id), Code::kNotFound, "review not found");
    FailsWith(rv.Tree(who, r.id, 1), Code::kNotFound, "review not found");
    FailsWith(rv.ReadFile(who, r.id, 1, "main.py"), Code::kNotFound, "review not found");
    FailsWith(rv.Claim(who, r.id), Code::kNotFound, "review not found");
    FailsWith(rv.History(who, r.id), Code::kNotFound, "review not found");
  }
  FailsWith(rv.Get(w.r2, "no-such-id"), Code::kNotFound, "review not found");
  // Eligible reviewers read a pending review but do not comment or decide on it.
  CHECK(Must(rv.ReadFile(w.r2, r.id, 1, "main.py")).content == "a\nb\nc\nd\ne\n");
  FailsWith(rv.AddComment(w.r2, r.id, {0, "main.py", 1, 1, std::nullopt, "hm", std::nullopt}),
            Code::kPermissionDenied);
  // Authors never review their own requests, whatever their level.
  Must(rv.SetReviewerLevel(w.author, w.author, 4));
  FailsWith(rv.Claim(w.author, r.id), Code::kPermissionDenied, "own");
  // An admin below the level cannot claim either.
  FailsWith(rv.Claim(w.admin, r.id), Code::kPermissionDenied, "level");
  // Only the author withdraws or resubmits.
  FailsWith(rv.Withdraw(w.r2, r.id), Code::kPermissionDenied);

  Must(rv.Claim(w.r2, r.id));
  // In review: the other eligible reviewer no longer sees it; the assigned one does.
  FailsWith(rv.Get(w.r4, r.id), Code::kNotFound);
  CHECK(Must(rv.Get(w.r2, r.id)).status == S::kInReview);
  FailsWith(rv.Unclaim(w.r4, r.id), Code::kNotFound);
  FailsWith(rv.Decide(w.author, r.id, ReviewDecision::kApprove, ""), Code::kPermissionDenied);
  FailsWith(rv.Decide(w.admin, r.id, ReviewDecision::kApprove, ""), Code::kPermissionDenied);
  // An admin may hand it back.
  CHECK(Must(rv.Unclaim(w.admin, r.id)).status == S::kPending);

  // Lists: each sees only theirs.
  auto mine = Must(rv.List(w.author, {ReviewRole::kAuthor, {}, {}, {}}));
  CHECK(mine.items.size() == 1);
  CHECK(Must(rv.List(w.r2, {ReviewRole::kAuthor, {}, {}, {}})).items.empty());
  CHECK(Must(rv.List(w.r2, {ReviewRole::kQueue, {}, {}, {}})).items.size() == 1);
  CHECK(Must(rv.List(w.r1, {ReviewRole::kQueue, {}, {}, {}})).items.empty());
  CHECK(Must(rv.List(w.outsider, {ReviewRole::kQueue, {}, {}, {}})).items.empty());
  CHECK(Must(rv.List(w.author, {ReviewRole::kQueue, {}, {}, {}})).items.empty());  // own

  // Reviewer levels: self-service 0-4, admins set anyone's, nobody else.
  CHECK(Must(rv.SetReviewerLevel(w.outsider, w.outsider, 3)).reviewer_level == 3);
  CHECK(Must(rv.SetReviewerLevel(w.outsider, w.outsider, 0)).reviewer_level == 0);
  FailsWith(rv.SetReviewerLevel(w.outsider, w.outsider, 5), Code::kInvalidArgument);
  FailsWith(rv.SetReviewerLevel(w.outsider, w.r1, 4), Code::kPermissionDenied);
  CHECK(Must(rv.SetReviewerLevel(w.admin, w.r1, 2)).reviewer_level == 2);
  CHECK(Must(rv.Get(w.r1, r.id)).id == r.id);  // now eligible
}

TEMPLATE_TEST_CASE("reviews: a revision never changes when the workspace does", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  const Review r = w.Submit(1);
  Must(w.files().Write(w.author, w.ws, "main.py", "changed\n"));
  Must(w.files().Delete(w.author, w.ws, "lib"));
  Must(w.files().Write(w.author, w.ws, "new.txt", "new\n"));
  CHECK(Must(rv.ReadFile(w.author, r.id, 1, "main.py")).content == "a\nb\nc\nd\ne\n");
  CHECK(Must(rv.ReadFile(w.author, r.id, 1, "lib/util.py")).content == "x = 1\n");
  FailsWith(rv.ReadFile(w.author, r.id, 1, "new.txt"), Code::kNotFound);
  FailsWith(rv.ReadFile(w.author, r.id, 2, "main.py"), Code::kNotFound);
  CHECK(Must(rv.Tree(w.author, r.id, 1)).size() == 3);

  // Against the live workspace (the author's view): every kind of change.
  const auto live = Must(rv.Diff(w.author, r.id, 1, std::nullopt));
  REQUIRE(live.size() == 3);
  CHECK(live[0].path == "lib/util.py");
  CHECK(live[0].change == FileChange::kRemoved);
  CHECK(live[1].path == "main.py");
  CHECK(live[1].change == FileChange::kChanged);
  CHECK(live[2].path == "new.txt");
  CHECK(live[2].change == FileChange::kAdded);
  REQUIRE(live[2].hunks.size() == 1);
  CHECK(live[2].hunks[0].lines == std::vector<std::string>{"+new"});
  // A reviewer sees revisions, not the author's workspace.
  Must(rv.Claim(w.r1, r.id));
  FailsWith(rv.Diff(w.r1, r.id, 1, std::nullopt), Code::kPermissionDenied);

  // Between revisions.
  Must(rv.Decide(w.r1, r.id, ReviewDecision::kRequestChanges, "more"));
  Must(rv.Resubmit(w.author, r.id));
  const auto diff = Must(rv.Diff(w.r1, r.id, 1, 2));
  REQUIRE(diff.size() == 3);
  REQUIRE(diff[1].hunks.size() == 1);
  CHECK(diff[1].hunks[0].lines ==
        std::vector<std::string>{"-a", "-b", "-c", "-d", "-e", "+changed"});
  CHECK(Must(rv.Diff(w.r1, r.id, 2, 2)).empty());
  FailsWith(rv.Diff(w.r1, r.id, 1, 3), Code::kNotFound);
}

TEMPLATE_TEST_CASE("reviews: the queue is priority then age, in keyset pages", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  const ReviewPriority order[] = {ReviewPriority::kLow,    ReviewPriority::kUrgent,
                                  ReviewPriority::kNormal, ReviewPriority::kUrgent,
                                  ReviewPriority::kHigh,   ReviewPriority::kLow,
                                  ReviewPriority::kNormal};
  std::vector<Review> made;
  for (const ReviewPriority p : order) {
    made.push_back(w.Submit(1, p));
    w.clock().Advance(std::chrono::seconds(1));
  }
  const Review too_high = w.Submit(3, ReviewPriority::kUrgent);  // r2 is not eligible
  std::vector<std::string> expected;
  for (const int i : {1, 3, 4, 2, 6, 0, 5})
    expected.push_back(made[static_cast<std::size_t>(i)].id);

  std::vector<std::string> seen;
  ReviewListRequest request{ReviewRole::kQueue, {3, ""}, {}, {}};
  for (int pages = 0; pages < 10; ++pages) {
    const Page<Review> page = Must(rv.List(w.r2, request));
    for (const Review& r : page.items) seen.push_back(r.id);
    if (!page.next_cursor) break;
    request.page.cursor = *page.next_cursor;
  }
  CHECK(seen == expected);
  // The level-4 reviewer sees the level-3 one too: the newest of the three urgent ones.
  const auto r4_queue = Must(rv.List(w.r4, {ReviewRole::kQueue, {3, ""}, {}, {}})).items;
  REQUIRE(r4_queue.size() == 3);
  CHECK(r4_queue[0].id == made[1].id);
  CHECK(r4_queue[2].id == too_high.id);
  // Filter by priority; a claimed review leaves the queue.
  auto urgent = Must(rv.List(w.r2, {ReviewRole::kQueue, {}, ReviewPriority::kUrgent, {}}));
  CHECK(urgent.items.size() == 2);
  Must(rv.Claim(w.r2, made[1].id));
  CHECK(Must(rv.List(w.r2, {ReviewRole::kQueue, {}, ReviewPriority::kUrgent, {}})).items.size() ==
        1);
  auto assigned = Must(rv.List(w.r2, {ReviewRole::kAssigned, {}, {}, {}}));
  REQUIRE(assigned.items.size() == 1);
  CHECK(assigned.items[0].id == made[1].id);
  // Author list: newest first, in pages, with a status filter.
  std::vector<std::string> authored;
  ReviewListRequest mine{ReviewRole::kAuthor, {2, ""}, {}, {}};
  for (int pages = 0; pages < 10; ++pages) {
    const Page<Review> page = Must(rv.List(w.author, mine));
    for (const Review& r : page.items) authored.push_back(r.id);
    if (!page.next_cursor) break;
    mine.page.cursor = *page.next_cursor;
  }
  REQUIRE(authored.size() == 8);
  CHECK(authored.front() == too_high.id);
  CHECK(authored.back() == made[0].id);
  CHECK(Must(rv.List(w.author, {ReviewRole::kAuthor, {}, {}, S::kInReview})).items.size() == 1);
  // Cursors are checked.
  FailsWith(rv.List(w.r2, {ReviewRole::kQueue, {3, "garbage"}, {}, {}}), Code::kInvalidArgument);
  FailsWith(rv.List(w.r2, {ReviewRole::kQueue, {0, ""}, {}, {}}), Code::kInvalidArgument);
}

TEMPLATE_TEST_CASE("reviews: auto-assign picks the eligible reviewer with fewest open reviews",
                   "[reviews]", CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create(), ReviewsOptions{true});
  const Review a = w.Submit(2);  // r2 and r4 are eligible, both with none open: by id
  REQUIRE(a.reviewer_id);
  CHECK(a.status == S::kInReview);
  const std::string first = *a.reviewer_id;
  CHECK((first == w.r2 || first == w.r4));
  const Review b = w.Submit(2);
  REQUIRE(b.reviewer_id);
  CHECK(*b.reviewer_id != first);  // the other one has fewer now
  const Review c = w.Submit(4);
  CHECK(c.reviewer_id == w.r4);
  const auto history = Must(w.reviews().History(w.author, c.id));
  REQUIRE(history.size() == 2);
  CHECK(history[1].action == "assigned");
}

}  // namespace
}  // namespace codeyard
