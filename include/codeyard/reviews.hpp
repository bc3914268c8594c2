// Code review: a user submits a workspace for review with a title, description, priority and
// required reviewer level; reviewers of that level or above find it in their queue, claim it
// (exactly one wins), comment on lines, and approve, request changes or reject; the author
// resubmits (a new revision) or withdraws. Each revision is an immutable snapshot of the
// workspace (paths naming content blobs, so it copies no bytes); any two revisions, or a
// revision and the live workspace, diff per file. Every change is appended to the review's
// history and, in the same transaction, to the events table (`review.*` for the people on the
// review, `notification` for whom it notifies), so open pages see it live.
//
// One access policy (core/reviews/policy.hpp) decides every call from the caller's user id,
// role and reviewer level, read in the call's own transaction: a review the caller may not
// see is kNotFound, as for workspaces. Each method maps to one route of /api/v1/reviews.
//
// Threading: every method is safe to call from any thread at once; state is in storage.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/config.hpp"
#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/records.hpp"

namespace codeyard {

class Platform;

enum class ReviewStatus {
  kPending,
  kInReview,
  kApproved,
  kChangesRequested,
  kRejected,
  kWithdrawn
};
enum class ReviewPriority { kLow, kNormal, kHigh, kUrgent };  // the queue's order, lowest first
enum class ReviewDecision { kApprove, kRequestChanges, kReject };

// "pending", "in_review", "approved", "changes_requested", "rejected", "withdrawn".
[[nodiscard]] std::string_view ReviewStatusName(ReviewStatus status);
[[nodiscard]] Result<ReviewStatus> ParseReviewStatus(std::string_view name);
// "low", "normal", "high", "urgent".
[[nodiscard]] std::string_view ReviewPriorityName(ReviewPriority priority);
[[nodiscard]] Result<ReviewPriority> ParseReviewPriority(std::string_view name);
// "approve", "request_changes", "reject".
[[nodiscard]] Result<ReviewDecision> ParseReviewDecision(std::string_view name);

inline constexpr int kMaxReviewerLevel = 4;

struct Review {
  std::string id;
  std::string author_id;
  std::string workspace_id;
  std::string title;
  std::string description;
  ReviewPriority priority = ReviewPriority::kNormal;
  int required_level = 0;  // 0-4
  ReviewStatus status = ReviewStatus::kPending;
  std::optional<std::string> reviewer_id;  // the assigned reviewer
  int64_t revision = 1;                    // the latest revision's number
  std::optional<std::string> decision_message;
  int64_t created_at = 0;  // ms since the epoch
  int64_t updated_at = 0;
  int64_t version = 1;
  // The organization whose reviewers review it (codeyard/orgs.hpp): its workspace's; "" on
  // insert = the author's personal organization.
  std::string org_id{};
};

struct NewReview {
  std::string workspace_id;
  std::string title;  // 1-200 characters
  std::string description;
  ReviewPriority priority = ReviewPriority::kNormal;
  int required_level = 0;
};

// Which list: reviews I wrote, the pending reviews I may claim (priority, then oldest
// first), or the reviews assigned to me.
enum class ReviewRole { kAuthor, kQueue, kAssigned };
[[nodiscard]] Result<ReviewRole> ParseReviewRole(std::string_view name);

struct ReviewListRequest {
  ReviewRole role = ReviewRole::kAuthor;
  PageRequest page;
  std::optional<ReviewPriority> priority;  // only this priority
  std::optional<ReviewStatus> status;      // only this status (author and assigned lists)
};

// One entry of a revision's manifest.
struct RevisionItem {
  std::string path;
  ItemKind kind = ItemKind::kFile;
  int mode = 0644;
  int64_t size = 0;
  std::string sha256;  // files only: the blob
};

struct RevisionFile {
  RevisionItem item;
  std::string content;
};

// A line diff of one file. Lines in hunks start with ' ', '-' or '+'; numbers are 1-based.
struct DiffHunk {
  int64_t old_start = 0;
  int64_t old_lines = 0;
  int64_t new_start = 0;
  int64_t new_lines = 0;
  std::vector<std::string> lines;
};
enum class FileChange { kAdded, kRemoved, kChanged };
[[nodiscard]] std::string_view FileChangeName(FileChange change);  // "added", ...
struct FileDiff {
  std::string path;
  FileChange change = FileChange::kChanged;
  std::vector<DiffHunk> hunks;
  // No hunks, only the change, for content with a NUL byte, and for files past the diff's
  // bound (kMaxDiffLines lines, or an edit distance over kMaxDiffEdits).
  bool binary = false;
  bool too_large = false;
};
inline constexpr int64_t kMaxDiffLines = 20000;
inline constexpr int64_t kMaxDiffEdits = 1000;

enum class CommentSide { kLeft, kRight };  // left: the diff's older side

struct ReviewComment {
  std::string id;
  std::string review_id;
  int64_t revision = 1;  // the revision it was written on
  std::string author_id;
  std::optional<std::string> path;  // none: on the whole review
  std::optional<int64_t> start_line;
  std::optional<int64_t> end_line;
  std::optional<CommentSide> side;
  std::string body;
  std::optional<std::string> in_reply_to;
  bool resolved = false;
  // Relative to the revision asked for (the latest by default): its lines (or its file)
  // changed since the revision it was written on.
  bool outdated = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t version = 1;
};

struct NewComment {
  int64_t revision = 0;  // 0: the latest
  std::optional<std::string> path;
  std::optional<int64_t> start_line;  // with end_line (default start_line) and side
  std::optional<int64_t> end_line;
  std::optional<CommentSide> side;  // default right
  std::string body;                 // 1-65536 bytes
  std::optional<std::string> in_reply_to;
};

// One line of the append-only history.
struct ReviewHistoryEntry {
  int64_t id = 0;
  std::string review_id;
  int64_t at = 0;
  std::string actor_id;
  std::string action;  // created, claimed, unclaimed, assigned, decided, resubmitted, ...
  std::optional<ReviewStatus> from;
  std::optional<ReviewStatus> to;
  int64_t revision = 1;
  std::string detail_json;  // the action's own fields, a JSON object
};

struct ReviewerStats {
  std::string user_id;
  std::string username;
  int level = 0;
  int64_t reviews_done = 0;  // decisions made
  int64_t approvals = 0;
  double approval_rate = 0;  // approvals / reviews_done, 0 when none
  int64_t open_reviews = 0;  // assigned and not decided for good
  // From a review's submission (of the revision responded to) to this reviewer's first
  // comment or decision on it, and to the decision; nullopt when there is none.
  std::optional<int64_t> median_first_response_ms;
  std::optional<int64_t> median_decision_ms;
};

struct Notification {
  int64_t id = 0;
  std::string type;  // review.queued, review.assigned, review.claimed, review.commented,
                     // review.decided, review.resubmitted
  std::string review_id;
  std::string actor_id;
  std::string data_json;
  int64_t at = 0;
  bool read = false;
};
struct NotificationPage {
  std::vector<Notification> items;  // newest first
  int64_t unread = 0;
};

struct ReviewsOptions {
  // Assign a new review at once to the eligible reviewer with the fewest open reviews
  // (reviews.auto_assign).
  bool auto_assign = false;
};

// The options a Config sets (reviews.auto_assign).
[[nodiscard]] ReviewsOptions ReviewsOptionsFrom(const Config& config);

class Reviews {
 public:
  Reviews(std::shared_ptr<Platform> platform, ReviewsOptions options = {});
  ~Reviews();
  Reviews(const Reviews&) = delete;
  Reviews& operator=(const Reviews&) = delete;

  // Snapshots the caller's workspace as revision 1. kNotFound for a workspace the caller
  // does not own; kInvalidArgument for a bad title or level.
  [[nodiscard]] Result<Review> Create(std::string_view caller, const NewReview& review);
  [[nodiscard]] Result<Page<Review>> List(std::string_view caller,
                                          const ReviewListRequest& request);
  [[nodiscard]] Result<Review> Get(std::string_view caller, std::string_view id);

  // Transitions. An illegal one is kConflict naming the current status (a lost claim race
  // too); a caller who may see the review but not do this is kPermissionDenied (an author
  // claiming their own review).
  [[nodiscard]] Result<Review> Claim(std::string_view caller, std::string_view id);
  [[nodiscard]] Result<Review> Unclaim(std::string_view caller, std::string_view id);
  [[nodiscard]] Result<Review> Withdraw(std::string_view caller, std::string_view id);
  // changes_requested -> in_review (the same reviewer) or pending (nobody assigned), with a
  // new revision snapshotted from the workspace.
  [[nodiscard]] Result<Review> Resubmit(std::string_view caller, std::string_view id);
  // kInvalidArgument when request_changes or reject comes without a message.
  [[nodiscard]] Result<Review> Decide(std::string_view caller, std::string_view id,
                                      ReviewDecision decision, std::string_view message);

  // A revision's manifest, ordered by path; kNotFound for an unknown revision.
  [[nodiscard]] Result<std::vector<RevisionItem>> Tree(std::string_view caller, std::string_view id,
                                                       int64_t revision);
  [[nodiscard]] Result<RevisionFile> ReadFile(std::string_view caller, std::string_view id,
                                              int64_t revision, std::string_view path);
  // Per changed path, ordered by path. `to` nullopt: the review's workspace as it is now.
  [[nodiscard]] Result<std::vector<FileDiff>> Diff(std::string_view caller, std::string_view id,
                                                   int64_t from, std::optional<int64_t> to);

  // Every comment of the review, oldest first, `outdated` against `revision` (0: latest).
  [[nodiscard]] Result<std::vector<ReviewComment>> Comments(std::string_view caller,
                                                            std::string_view id,
                                                            int64_t revision = 0);
  [[nodiscard]] Result<ReviewComment> AddComment(std::string_view caller, std::string_view id,
                                                 const NewComment& comment);
  [[nodiscard]] Result<ReviewComment> SetResolved(std::string_view caller, std::string_view id,
                                                  std::string_view comment_id, bool resolved);

  [[nodiscard]] Result<std::vector<ReviewHistoryEntry>> History(std::string_view caller,
                                                                std::string_view id);

  // Every user with a reviewer level above 0, by username, with statistics.
  [[nodiscard]] Result<std::vector<ReviewerStats>> Reviewers(std::string_view caller);
  // A user sets their own level (0-4); an admin sets anyone's. kPermissionDenied otherwise.
  [[nodiscard]] Result<User> SetReviewerLevel(std::string_view caller, std::string_view user_id,
                                              int level);

  // The caller's latest `limit` (1-200) notifications and unread count.
  [[nodiscard]] Result<NotificationPage> Notifications(std::string_view caller, int64_t limit = 50);
  // Marks the caller's notifications `ids` (or all of them) read.
  [[nodiscard]] Result<NotificationPage> MarkRead(std::string_view caller,
                                                  const std::vector<int64_t>& ids, bool all);

  // The watch policy of shared terminals (Terminals::SetWatchPolicy): ok when the caller may
  // watch `workspace_id`'s terminal read-only (policy: reviews::MayWatchTerminal over the
  // workspace's in_review reviews), kNotFound otherwise, as for a workspace not theirs.
  [[nodiscard]] Result<void> AuthorizeTerminalWatch(std::string_view caller,
                                                    std::string_view workspace_id);

  // Deletes the content blobs nothing references any more (deleted workspaces, overwritten
  // files); returns how many. The workspaces' idle sweep calls the same.
  [[nodiscard]] Result<int64_t> CollectBlobs();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeyard
