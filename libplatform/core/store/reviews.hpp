// Repository of review requests, their comments and their append-only history. Status
// changes are compare-and-swap on the row's version (UpdateIf), so of two concurrent
// transitions from one state exactly one applies. The history has Append and reads only:
// nothing here updates or deletes a history row. Runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/reviews.hpp"

namespace codeyard::store::reviews {

[[nodiscard]] Result<void> Insert(Transaction& tx, const Review& review);
// kNotFound when absent.
[[nodiscard]] Result<Review> Get(Transaction& tx, std::string_view id);
// Writes status, reviewer, revision, decision message and updated_at if the row is still at
// `review.version`, and bumps it; returns the new row. kConflict naming the current status
// when someone changed it first (kNotFound when it is gone).
[[nodiscard]] Result<Review> UpdateIf(Transaction& tx, const Review& review, int64_t now);

// Keyset pages. The queue is pending reviews with required_level <= `level`, not by
// `exclude_author`, ordered by priority (highest first), then created_at, then id; the
// author and assigned lists are newest first. `after` is the previous page's last review.
// The queue holds only reviews of personal organizations (the platform's pool) and of the
// organizations `exclude_author` (the reviewer asking) is a member of.
struct ListFilter {
  std::optional<ReviewPriority> priority;
  std::optional<ReviewStatus> status;
};
[[nodiscard]] Result<std::vector<Review>> Queue(Transaction& tx, int level,
                                                std::string_view exclude_author,
                                                const ListFilter& filter,
                                                const std::optional<Review>& after, int64_t limit);
[[nodiscard]] Result<std::vector<Review>> ByAuthor(Transaction& tx, std::string_view author_id,
                                                   const ListFilter& filter,
                                                   const std::optional<Review>& after,
                                                   int64_t limit);
[[nodiscard]] Result<std::vector<Review>> ByReviewer(Transaction& tx, std::string_view reviewer_id,
                                                     const ListFilter& filter,
                                                     const std::optional<Review>& after,
                                                     int64_t limit);

// The eligible reviewer (level >= max(1, required), not the author, not disabled) with the
// fewest open reviews (in_review or changes_requested), ties by id; nullopt when none. With
// `pool_org`, only members of that organization (its reviewer pool).
[[nodiscard]] Result<std::optional<std::string>> LeastBusyReviewer(Transaction& tx,
                                                                   int required_level,
                                                                   std::string_view author_id,
                                                                   std::string_view pool_org = {});

// Every user with a reviewer level above 0, by username, with their open reviews.
struct ReviewerRow {
  std::string id;
  std::string username;
  int level = 0;
  int64_t open_reviews = 0;
};
[[nodiscard]] Result<std::vector<ReviewerRow>> ReviewerUsers(Transaction& tx);

// Comments.
[[nodiscard]] Result<void> InsertComment(Transaction& tx, const ReviewComment& comment);
[[nodiscard]] Result<ReviewComment> GetComment(Transaction& tx, std::string_view review_id,
                                               std::string_view comment_id);
[[nodiscard]] Result<std::vector<ReviewComment>> Comments(Transaction& tx,
                                                          std::string_view review_id);
// kConflict if the comment changed since `comment.version`.
[[nodiscard]] Result<ReviewComment> SetResolved(Transaction& tx, const ReviewComment& comment,
                                                bool resolved, int64_t now);

// History.
struct HistoryLine {
  std::string review_id;
  std::string actor_id;
  std::string action;
  std::optional<ReviewStatus> from;
  std::optional<ReviewStatus> to;
  int64_t revision = 1;
  std::string detail_json = "{}";
};
[[nodiscard]] Result<void> Append(Transaction& tx, const HistoryLine& line, int64_t at);
[[nodiscard]] Result<std::vector<ReviewHistoryEntry>> History(Transaction& tx,
                                                              std::string_view review_id);
// Every history line with one of the actions, for the reviewer statistics.
[[nodiscard]] Result<std::vector<ReviewHistoryEntry>> HistoryOfActions(
    Transaction& tx, const std::vector<std::string>& actions);

}  // namespace codeyard::store::reviews
