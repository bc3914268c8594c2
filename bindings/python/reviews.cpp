// codeyard.Reviews: code review of workspaces (create, claim, comment, decide, resubmit) with
// the Review and Comment classes. Every call names the acting user; a review the user may not
// see is NotFound, an illegal transition Conflict.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codeyard/reviews.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

using Call = Result<Review> (Reviews::*)(std::string_view, std::string_view);

// A transition taking only the caller and the review id.
auto Transition(Call call) {
  return [call](ReviewsService& r, const std::string& user_id, const std::string& id) {
    return Blocking([&] { return ((*r.service).*call)(user_id, id); });
  };
}

}  // namespace

void AddReviews(py::module_& m) {
  py::class_<Review>(m, "Review", "A review of a workspace's snapshot.")
      .def_readonly("id", &Review::id)
      .def_readonly("author_id", &Review::author_id)
      .def_readonly("workspace_id", &Review::workspace_id)
      .def_readonly("title", &Review::title)
      .def_readonly("description", &Review::description)
      .def_property_readonly(
          "priority", [](const Review& r) { return std::string(ReviewPriorityName(r.priority)); })
      .def_readonly("required_level", &Review::required_level)
      .def_property_readonly(
          "status", [](const Review& r) { return std::string(ReviewStatusName(r.status)); },
          "\"pending\", \"in_review\", \"approved\", \"changes_requested\", \"rejected\", "
          "\"withdrawn\".")
      .def_readonly("reviewer_id", &Review::reviewer_id)
      .def_readonly("revision", &Review::revision)
      .def_readonly("decision_message", &Review::decision_message)
      .def_readonly("created_at", &Review::created_at)
      .def_readonly("updated_at", &Review::updated_at)
      .def("__repr__", [](const Review& r) {
        return "<Review id=" + Quote(r.id) + " title=" + Quote(r.title) +
               " status=" + Quote(std::string(ReviewStatusName(r.status))) + ">";
      });

  py::class_<ReviewComment>(m, "Comment", "A comment on a review, a file or lines of it.")
      .def_readonly("id", &ReviewComment::id)
      .def_readonly("review_id", &ReviewComment::review_id)
      .def_readonly("revision", &ReviewComment::revision)
      .def_readonly("author_id", &ReviewComment::author_id)
      .def_readonly("path", &ReviewComment::path)
      .def_readonly("start_line", &ReviewComment::start_line)
      .def_readonly("end_line", &ReviewComment::end_line)
      .def_readonly("body", &ReviewComment::body)
      .def_readonly("in_reply_to", &ReviewComment::in_reply_to)
      .def_readonly("resolved", &ReviewComment::resolved)
      .def_readonly("outdated", &ReviewComment::outdated)
      .def_readonly("created_at", &ReviewComment::created_at)
      .def("__repr__", [](const ReviewComment& c) {
        return "<Comment id=" + Quote(c.id) + " path=" + Quote(c.path.value_or("")) + ">";
      });

  py::class_<ReviewHistoryEntry>(m, "ReviewEvent", "One line of a review's history.")
      .def_readonly("at", &ReviewHistoryEntry::at)
      .def_readonly("actor_id", &ReviewHistoryEntry::actor_id)
      .def_readonly("action", &ReviewHistoryEntry::action, "created, claimed, decided, ...")
      .def_property_readonly("status",
                             [](const ReviewHistoryEntry& e) {
                               return e.to ? std::optional<std::string>(ReviewStatusName(*e.to))
                                           : std::nullopt;
                             })
      .def_readonly("revision", &ReviewHistoryEntry::revision)
      .def("__repr__", [](const ReviewHistoryEntry& e) {
        return "<ReviewEvent action=" + Quote(e.action) + ">";
      });

  py::class_<FileDiff>(m, "FileDiff", "How one file changed between two revisions.")
      .def_readonly("path", &FileDiff::path)
      .def_property_readonly(
          "change", [](const FileDiff& d) { return std::string(FileChangeName(d.change)); },
          "\"added\", \"removed\" or \"changed\".")
      .def_property_readonly(
          "lines",
          [](const FileDiff& d) {
            std::vector<std::string> lines;
            for (const DiffHunk& h : d.hunks) {
              lines.insert(lines.end(), h.lines.begin(), h.lines.end());
            }
            return lines;
          },
          "Every hunk's lines, each starting with ' ', '-' or '+'.")
      .def_readonly("binary", &FileDiff::binary)
      .def_readonly("too_large", &FileDiff::too_large)
      .def("__repr__", [](const FileDiff& d) {
        return "<FileDiff path=" + Quote(d.path) +
               " change=" + Quote(std::string(FileChangeName(d.change))) + ">";
      });

  py::class_<RevisionItem>(m, "RevisionItem", "A file or folder of a review's revision.")
      .def_readonly("path", &RevisionItem::path)
      .def_property_readonly(
          "kind", [](const RevisionItem& i) { return std::string(ItemKindName(i.kind)); })
      .def_readonly("mode", &RevisionItem::mode)
      .def_readonly("size", &RevisionItem::size)
      .def_readonly("sha256", &RevisionItem::sha256)
      .def("__repr__",
           [](const RevisionItem& i) { return "<RevisionItem path=" + Quote(i.path) + ">"; });

  py::class_<ReviewerStats>(m, "ReviewerStats", "A reviewer and what they did.")
      .def_readonly("user_id", &ReviewerStats::user_id)
      .def_readonly("username", &ReviewerStats::username)
      .def_readonly("level", &ReviewerStats::level)
      .def_readonly("reviews_done", &ReviewerStats::reviews_done)
      .def_readonly("approvals", &ReviewerStats::approvals)
      .def_readonly("approval_rate", &ReviewerStats::approval_rate)
      .def_readonly("open_reviews", &ReviewerStats::open_reviews)
      .def_readonly("median_first_response_ms", &ReviewerStats::median_first_response_ms)
      .def_readonly("median_decision_ms", &ReviewerStats::median_decision_ms)
      .def("__repr__", [](const ReviewerStats& s) {
        return "<ReviewerStats username=" + Quote(s.username) +
               " level=" + std::to_string(s.level) + ">";
      });

  py::class_<Notification>(m, "Notification", "Something on a review the user should know.")
      .def_readonly("id", &Notification::id)
      .def_readonly("type", &Notification::type, "\"review.queued\", \"review.claimed\", ...")
      .def_readonly("review_id", &Notification::review_id)
      .def_readonly("actor_id", &Notification::actor_id)
      .def_property_readonly("data",
                             [](const Notification& n) {
                               return py::module_::import("json").attr("loads")(n.data_json);
                             })
      .def_readonly("at", &Notification::at)
      .def_readonly("read", &Notification::read)
      .def("__repr__", [](const Notification& n) {
        return "<Notification id=" + std::to_string(n.id) + " type=" + Quote(n.type) + ">";
      });
  py::class_<NotificationPage>(m, "Notifications", "The latest notifications, newest first.")
      .def_readonly("items", &NotificationPage::items)
      .def_readonly("unread", &NotificationPage::unread);

  using R = ReviewsService;
  py::class_<R, std::shared_ptr<R>>(m, "Reviews", "Code review of workspaces.")
      .def(
          "create",
          [](R& r, const std::string& user_id, const std::string& workspace_id,
             const std::string& title, const std::string& description, const std::string& priority,
             int required_level) {
            NewReview review;
            review.workspace_id = workspace_id;
            review.title = title;
            review.description = description;
            review.priority = Unwrap(ParseReviewPriority(priority));
            review.required_level = required_level;
            return Blocking([&] { return r.service->Create(user_id, review); });
          },
          py::arg("user_id"), py::arg("workspace_id"), py::arg("title"),
          py::arg("description") = "", py::arg("priority") = "normal",
          py::arg("required_level") = 0,
          "Submits the user's workspace for review (revision 1 is a snapshot of it).")
      .def("get", Transition(&Reviews::Get), py::arg("user_id"), py::arg("review_id"))
      .def(
          "list",
          [](R& r, const std::string& user_id, const std::string& role,
             std::optional<std::string> status, std::optional<std::string> priority) {
            ReviewListRequest request;
            request.role = Unwrap(ParseReviewRole(role));
            if (status) request.status = Unwrap(ParseReviewStatus(*status));
            if (priority) request.priority = Unwrap(ParseReviewPriority(*priority));
            request.page.limit = kMaxPageLimit;
            return Blocking([&]() -> Result<std::vector<Review>> {
              std::vector<Review> all;
              for (;;) {
                auto page = r.service->List(user_id, request);
                if (!page) return Fail(page.error());
                for (Review& review : page->items) all.push_back(std::move(review));
                if (!page->next_cursor) return all;
                request.page.cursor = *page->next_cursor;
              }
            });
          },
          py::arg("user_id"), py::arg("role") = "author", py::arg("status") = py::none(),
          py::arg("priority") = py::none(),
          "role: \"author\" (mine), \"queue\" (pending ones I may claim), \"assigned\".")
      .def("claim", Transition(&Reviews::Claim), py::arg("user_id"), py::arg("review_id"),
           "A reviewer of the required level takes the review (exactly one wins).")
      .def("unclaim", Transition(&Reviews::Unclaim), py::arg("user_id"), py::arg("review_id"))
      .def("withdraw", Transition(&Reviews::Withdraw), py::arg("user_id"), py::arg("review_id"))
      .def("resubmit", Transition(&Reviews::Resubmit), py::arg("user_id"), py::arg("review_id"),
           "After changes were requested: a new revision from the workspace.")
      .def(
          "decide",
          [](R& r, const std::string& user_id, const std::string& id, const std::string& decision,
             const std::string& message) {
            const ReviewDecision d = Unwrap(ParseReviewDecision(decision));
            return Blocking([&] { return r.service->Decide(user_id, id, d, message); });
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("decision"), py::arg("message") = "",
          "decision: \"approve\", \"request_changes\" or \"reject\" (the last two need a "
          "message).")
      .def(
          "comment",
          [](R& r, const std::string& user_id, const std::string& id, const std::string& body,
             std::optional<std::string> path, std::optional<int64_t> line,
             std::optional<int64_t> end_line, std::optional<std::string> in_reply_to) {
            NewComment comment;
            comment.body = body;
            comment.path = std::move(path);
            comment.start_line = line;
            comment.end_line = end_line;
            comment.in_reply_to = std::move(in_reply_to);
            return Blocking([&] { return r.service->AddComment(user_id, id, comment); });
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("body"), py::arg("path") = py::none(),
          py::arg("line") = py::none(), py::arg("end_line") = py::none(),
          py::arg("in_reply_to") = py::none(),
          "Comments on the review, a file (path) or lines of it (line, end_line).")
      .def(
          "comments",
          [](R& r, const std::string& user_id, const std::string& id, int64_t revision) {
            return Blocking([&] { return r.service->Comments(user_id, id, revision); });
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("revision") = 0,
          "Every comment, oldest first, .outdated against revision (0: the latest).")
      // py19b: the rest of the C++ Reviews service.
      .def(
          "resolve",
          [](R& r, const std::string& user_id, const std::string& id, const std::string& comment_id,
             bool resolved) {
            return Blocking(
                [&] { return r.service->SetResolved(user_id, id, comment_id, resolved); });
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("comment_id"),
          py::arg("resolved") = true, "Marks a comment thread resolved (or not).")
      .def(
          "tree",
          [](R& r, const std::string& user_id, const std::string& id, int64_t revision) {
            return Blocking([&] { return r.service->Tree(user_id, id, revision); });
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("revision"),
          "A revision's files and folders, by path; NotFound for an unknown revision.")
      .def(
          "read_file",
          [](R& r, const std::string& user_id, const std::string& id, int64_t revision,
             const std::string& path) {
            RevisionFile file =
                Blocking([&] { return r.service->ReadFile(user_id, id, revision, path); });
            return py::bytes(file.content);
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("revision"), py::arg("path"),
          "A file's bytes as the revision holds them.")
      .def(
          "reviewers",
          [](R& r, const std::string& user_id) {
            return Blocking([&] { return r.service->Reviewers(user_id); });
          },
          py::arg("user_id"), "Every user with a reviewer level above 0, with statistics.")
      .def(
          "notifications",
          [](R& r, const std::string& user_id, int64_t limit) {
            return Blocking([&] { return r.service->Notifications(user_id, limit); });
          },
          py::arg("user_id"), py::arg("limit") = 50,
          "The user's latest notifications (1-200), newest first, and the unread count.")
      .def(
          "mark_read",
          [](R& r, const std::string& user_id, const std::vector<int64_t>& ids, bool all) {
            return Blocking([&] { return r.service->MarkRead(user_id, ids, all); });
          },
          py::arg("user_id"), py::arg("ids") = std::vector<int64_t>{}, py::arg("all") = false,
          "Marks the notifications ids (or all of them) read.")
      .def(
          "may_watch_terminal",
          [](R& r, const std::string& user_id, const std::string& workspace_id) {
            auto allowed = [&] {
              py::gil_scoped_release release;
              return r.service->AuthorizeTerminalWatch(user_id, workspace_id);
            }();
            if (allowed) return true;
            if (allowed.error().code() == Error::Code::kNotFound) return false;
            Raise(allowed.error());
          },
          py::arg("user_id"), py::arg("workspace_id"),
          "Whether the user may watch the workspace's terminal read-only (its owner shares it "
          "and the user reviews it).")
      .def(
          "collect_blobs", [](R& r) { return Blocking([&] { return r.service->CollectBlobs(); }); },
          "Deletes content blobs nothing references any more; returns how many.")
      .def(
          "history",
          [](R& r, const std::string& user_id, const std::string& id) {
            return Blocking([&] { return r.service->History(user_id, id); });
          },
          py::arg("user_id"), py::arg("review_id"), "The review's history, oldest first.")
      .def(
          "diff",
          [](R& r, const std::string& user_id, const std::string& id, int64_t from,
             std::optional<int64_t> to) {
            return Blocking([&] { return r.service->Diff(user_id, id, from, to); });
          },
          py::arg("user_id"), py::arg("review_id"), py::arg("from_revision") = 1,
          py::arg("to_revision") = py::none(),
          "Per changed file; to_revision None: the workspace as it is now.")
      .def(
          "set_reviewer_level",
          [](R& r, const std::string& user_id, const std::string& target, int level) {
            return Blocking([&] { return r.service->SetReviewerLevel(user_id, target, level); });
          },
          py::arg("user_id"), py::arg("target_user_id"), py::arg("level"),
          "A user sets their own level (0-4); an admin anyone's.");
}

}  // namespace codeyard::python
