// The reviews service on both storage backends: comment threads and outdated marking,
// reviewer statistics, stored notifications, and the events written with each change.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "core/store/events.hpp"
#include "services/reviews_world.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using testing::FailsWith;
using testing::Must;
using testing::ReviewWorld;
using S = ReviewStatus;

NewComment Line(std::string path, int64_t start, int64_t end, std::string body,
                int64_t revision = 0) {
  return {revision,        std::move(path), start, end, CommentSide::kRight,
          std::move(body), std::nullopt};
}

const ReviewComment& ById(const std::vector<ReviewComment>& all, const std::string& id) {
  for (const auto& c : all) {
    if (c.id == id) return c;
  }
  FAIL("no comment " << id);
  return all.front();
}

TEMPLATE_TEST_CASE("reviews: comment threads, resolve, and outdated across revisions", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  const Review r = w.Submit(1);
  Must(rv.Claim(w.r1, r.id));
  // main.py is a b c d e. Comments on line 2 (b), lines 4-5 (d-e), the file util.py, the
  // whole review, and one on main.py line 1 (a).
  const auto on_b = Must(rv.AddComment(w.r1, r.id, Line("main.py", 2, 2, "b?")));
  const auto on_de = Must(rv.AddComment(w.r1, r.id, Line("main.py", 4, 5, "d-e?")));
  const auto on_a = Must(rv.AddComment(w.r1, r.id, Line("main.py", 1, 1, "a?")));
  const auto on_util =
      Must(rv.AddComment(w.r1, r.id, {0, "lib/util.py", {}, {}, {}, "file", std::nullopt}));
  const auto general =
      Must(rv.AddComment(w.r1, r.id, {0, std::nullopt, {}, {}, {}, "overall", std::nullopt}));
  CHECK(on_b.revision == 1);
  CHECK(on_b.side == CommentSide::kRight);
  // A threaded reply (to a reply, too) joins the thread's first comment and its place.
  const auto reply = Must(rv.AddComment(
      w.author, r.id, {0, std::nullopt, {}, {}, {}, "fixed soon", std::optional(on_b.id)}));
  const auto reply2 =
      Must(rv.AddComment(w.r1, r.id, {0, std::nullopt, {}, {}, {}, "ok", std::optional(reply.id)}));
  CHECK(reply.in_reply_to == on_b.id);
  CHECK(reply2.in_reply_to == on_b.id);
  CHECK(reply2.path == "main.py");
  CHECK(reply2.start_line == 2);

  // Bad comments.
  FailsWith(rv.AddComment(w.r1, r.id, Line("main.py", 5, 6, "past the end")),
            Code::kInvalidArgument, "5 lines");
  FailsWith(rv.AddComment(w.r1, r.id, Line("main.py", 3, 2, "backwards")), Code::kInvalidArgument);
  FailsWith(rv.AddComment(w.r1, r.id, Line("nope.py", 1, 1, "x")), Code::kNotFound);
  FailsWith(rv.AddComment(w.r1, r.id, Line("lib", 1, 1, "x")), Code::kInvalidArgument);
  FailsWith(rv.AddComment(w.r1, r.id, Line("main.py", 1, 1, "")), Code::kInvalidArgument);
  FailsWith(rv.AddComment(w.r1, r.id, Line("main.py", 1, 1, "x", 2)), Code::kNotFound);
  FailsWith(rv.AddComment(w.r1, r.id, {0, std::nullopt, 1, 1, {}, "x", std::nullopt}),
            Code::kInvalidArgument, "path");
  FailsWith(rv.AddComment(w.outsider, r.id, Line("main.py", 1, 1, "x")), Code::kNotFound);

  // Resolve and reopen.
  CHECK(Must(rv.SetResolved(w.author, r.id, on_de.id, true)).resolved);
  CHECK_FALSE(Must(rv.SetResolved(w.r1, r.id, on_de.id, false)).resolved);
  CHECK(Must(rv.SetResolved(w.r1, r.id, on_de.id, true)).resolved);
  FailsWith(rv.SetResolved(w.r1, r.id, "no-such-comment", true), Code::kNotFound);
  FailsWith(rv.SetResolved(w.outsider, r.id, on_de.id, true), Code::kNotFound);

  // Revision 2: line b changes, a line is inserted between d and e, a is untouched but
  // moves down one line (a new first line), util.py is unchanged.
  Must(rv.Decide(w.r1, r.id, ReviewDecision::kRequestChanges, "see comments"));
  Must(w.files().Write(w.author, w.ws, "main.py", "new\na\nB\nc\nd\nX\ne\n"));
  Must(rv.Resubmit(w.author, r.id));
  const auto all = Must(rv.Comments(w.r1, r.id));
  REQUIRE(all.size() == 7);
  CHECK(ById(all, on_b.id).outdated);
  CHECK(ById(all, reply.id).outdated);  // replies follow their thread
  CHECK(ById(all, reply2.id).outdated);
  CHECK(ById(all, on_de.id).outdated);  // a line inserted inside the range
  CHECK(ById(all, on_de.id).resolved);
  CHECK_FALSE(ById(all, on_a.id).outdated);  // moved, not changed
  CHECK_FALSE(ById(all, on_util.id).outdated);
  CHECK_FALSE(ById(all, general.id).outdated);
  // Against revision 1 nothing is outdated; comments keep their revision.
  for (const auto& c : Must(rv.Comments(w.r1, r.id, 1))) CHECK_FALSE(c.outdated);
  CHECK(ById(all, on_b.id).revision == 1);

  // A file comment is outdated once its file changes or goes; a left-side comment counts
  // lines of the revision before.
  const auto on_left = Must(
      rv.AddComment(w.r1, r.id, {2, "main.py", 4, 4, CommentSide::kLeft, "was d", std::nullopt}));
  FailsWith(rv.AddComment(w.r1, r.id, {1, "main.py", 1, 1, CommentSide::kLeft, "x", {}}),
            Code::kInvalidArgument, "left");
  Must(rv.Decide(w.r1, r.id, ReviewDecision::kRequestChanges, "again"));
  Must(w.files().Delete(w.author, w.ws, "lib/util.py"));
  Must(rv.Resubmit(w.author, r.id));
  const auto third = Must(rv.Comments(w.author, r.id));
  CHECK(ById(third, on_util.id).outdated);
  CHECK_FALSE(ById(third, on_left.id).outdated);  // d is still there, as line 5 now
  CHECK_FALSE(ById(third, on_a.id).outdated);
}

TEMPLATE_TEST_CASE("reviews: notifications with unread counts, and live events", "[reviews]",
                   CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  auto types = [&](const std::string& user) {
    std::vector<std::string> out;
    for (const auto& n : Must(rv.Notifications(user)).items) out.push_back(n.type);
    return out;  // newest first
  };
  const Review r = w.Submit(2);
  // The new review reaches the queue of every eligible reviewer, not the others.
  CHECK(types(w.r2) == std::vector<std::string>{"review.queued"});
  CHECK(types(w.r4) == std::vector<std::string>{"review.queued"});
  CHECK(types(w.r1).empty());
  CHECK(types(w.author).empty());
  Must(rv.Claim(w.r2, r.id));
  CHECK(types(w.author) == std::vector<std::string>{"review.claimed"});
  Must(rv.AddComment(w.r2, r.id, Line("main.py", 3, 3, "line 3")));
  Must(rv.Decide(w.r2, r.id, ReviewDecision::kRequestChanges, "please"));
  CHECK(types(w.author) ==
        std::vector<std::string>{"review.decided", "review.commented", "review.claimed"});
  Must(rv.AddComment(w.author, r.id, Line("main.py", 3, 3, "done")));
  Must(rv.Resubmit(w.author, r.id));
  CHECK(types(w.r2) ==
        std::vector<std::string>{"review.resubmitted", "review.commented", "review.queued"});

  NotificationPage page = Must(rv.Notifications(w.author));
  CHECK(page.unread == 3);
  CHECK(page.items[0].review_id == r.id);
  CHECK(page.items[0].actor_id == w.r2);
  CHECK(page.items[0].data_json.find("\"status\":\"changes_requested\"") != std::string::npos);
  page = Must(rv.MarkRead(w.author, {page.items[0].id, page.items[1].id}, false));
  CHECK(page.unread == 1);
  CHECK(page.items[0].read);
  CHECK_FALSE(page.items[2].read);
  // Another user's ids are ignored.
  const auto r2_first = Must(rv.Notifications(w.r2)).items.front().id;
  CHECK(Must(rv.MarkRead(w.author, {r2_first}, false)).unread == 1);
  CHECK(Must(rv.Notifications(w.r2)).unread == 3);
  CHECK(Must(rv.MarkRead(w.r2, {}, true)).unread == 0);
  FailsWith(rv.Notifications(w.r2, 0), Code::kInvalidArgument);

  // The same changes are on the events channel, addressed to each person.
  auto events = store::Transact(w.storage(), TxKind::kRead, [&](Transaction& tx) {
    return store::events::ReadAfter(tx, {}, std::nullopt, 1000);
  });
  REQUIRE(events);
  std::map<std::string, std::vector<std::string>> by_owner;
  for (const Event& e : *events) {
    if (e.type.starts_with("review.") || e.type == "notification") {
      by_owner[e.owner_id].push_back(e.type);
      CHECK(e.workspace_id == w.ws);
      CHECK(e.data.find(r.id) != std::string::npos);
    }
  }
  const auto& author_events = by_owner[w.author];
  CHECK(std::count(author_events.begin(), author_events.end(), "notification") == 3);
  for (const char* t : {"review.created", "review.claimed", "review.commented", "review.decided",
                        "review.resubmitted"}) {
    CHECK(std::count(author_events.begin(), author_events.end(), t) >= 1);
  }
  CHECK(std::count(by_owner[w.r4].begin(), by_owner[w.r4].end(), "notification") == 1);
  CHECK(by_owner[w.r1].empty());
  CHECK(by_owner[w.outsider].empty());
}

TEMPLATE_TEST_CASE("reviews: reviewer statistics", "[reviews]", CODEYARD_STORAGE_BACKENDS) {
  ReviewWorld w(TestType::Create());
  Reviews& rv = w.reviews();
  using std::chrono::seconds;
  // r1: claims after 10 s, comments after 30 s, approves after 60 s.
  const Review a = w.Submit(1);
  w.clock().Advance(seconds(10));
  Must(rv.Claim(w.r1, a.id));
  w.clock().Advance(seconds(20));
  Must(rv.AddComment(w.r1, a.id, Line("main.py", 1, 1, "hm")));
  w.clock().Advance(seconds(30));
  Must(rv.Decide(w.r1, a.id, ReviewDecision::kApprove, ""));
  // r1 again: requests changes after 100 s (first response = decision), then after the
  // resubmission rejects 40 s later.
  const Review b = w.Submit(1);
  Must(rv.Claim(w.r1, b.id));
  w.clock().Advance(seconds(100));
  Must(rv.Decide(w.r1, b.id, ReviewDecision::kRequestChanges, "no"));
  w.clock().Advance(seconds(5));
  Must(rv.Resubmit(w.author, b.id));
  w.clock().Advance(seconds(40));
  Must(rv.Decide(w.r1, b.id, ReviewDecision::kReject, "still no"));
  // r4 holds one open review.
  const Review c = w.Submit(1);
  Must(rv.Claim(w.r4, c.id));

  const auto stats = Must(rv.Reviewers(w.outsider));
  REQUIRE(stats.size() == 3);  // rae, ria, rob (levels above 0), by username
  CHECK(stats[0].user_id == w.r2);
  CHECK(stats[0].reviews_done == 0);
  CHECK_FALSE(stats[0].median_decision_ms);
  CHECK(stats[1].user_id == w.r4);
  CHECK(stats[1].open_reviews == 1);
  const ReviewerStats& rob = stats[2];
  CHECK(rob.user_id == w.r1);
  CHECK(rob.level == 1);
  CHECK(rob.reviews_done == 3);
  CHECK(rob.approvals == 1);
  CHECK(rob.approval_rate == Approx(1.0 / 3.0));
  CHECK(rob.open_reviews == 0);
  // First responses: 30 s (a), 100 s (b rev 1), 40 s (b rev 2) -> median 40 s.
  CHECK(rob.median_first_response_ms == 40000);
  // Decisions: 60 s, 100 s, 40 s -> median 60 s.
  CHECK(rob.median_decision_ms == 60000);
}

}  // namespace
}  // namespace codeyard
