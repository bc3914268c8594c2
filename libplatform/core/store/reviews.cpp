#include "core/store/reviews.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::reviews {
namespace {

constexpr std::string_view kColumns =
    "id, author_id, workspace_id, title, description, priority, required_level, status, "
    "reviewer_id, revision, decision_message, created_at, updated_at, version, org_id";

Value Int(int64_t n) { return Value{n}; }

Result<Review> FromRow(const Row& r) {
  Review v;
  CY_TRY(v.id, r.Text(0));
  CY_TRY(v.author_id, r.Text(1));
  CY_TRY(v.workspace_id, r.Text(2));
  CY_TRY(v.title, r.Text(3));
  CY_TRY(v.description, r.Text(4));
  CY_TRY(const int64_t priority, r.Int(5));
  v.priority = static_cast<ReviewPriority>(priority);
  CY_TRY(const int64_t level, r.Int(6));
  v.required_level = static_cast<int>(level);
  CY_TRY(const std::string status, r.Text(7));
  CY_TRY(v.status, ParseReviewStatus(status));
  CY_TRY(v.reviewer_id, OptText(r, 8));
  CY_TRY(v.revision, r.Int(9));
  CY_TRY(v.decision_message, OptText(r, 10));
  CY_TRY(v.created_at, r.Int(11));
  CY_TRY(v.updated_at, r.Int(12));
  CY_TRY(v.version, r.Int(13));
  if (r.IsNull(14)) {
    v.org_id = v.author_id;
  } else {
    CY_TRY(v.org_id, r.Text(14));
  }
  return v;
}

Result<std::vector<Review>> Many(const Rows& rows) {
  std::vector<Review> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(Review v, FromRow(r));
    out.push_back(std::move(v));
  }
  return out;
}

// The filter's conditions and parameters, appended.
void AddFilter(const ListFilter& filter, std::string& sql, std::vector<Value>& params) {
  if (filter.priority) {
    sql += " AND priority = ?";
    params.push_back(Int(static_cast<int64_t>(*filter.priority)));
  }
  if (filter.status) {
    sql += " AND status = ?";
    params.push_back(Text(ReviewStatusName(*filter.status)));
  }
}

// Newest first, after `after`.
Result<std::vector<Review>> NewestBy(Transaction& tx, std::string_view column, std::string_view who,
                                     const ListFilter& filter, const std::optional<Review>& after,
                                     int64_t limit) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM review_requests WHERE " +
                    std::string(column) + " = ?";
  std::vector<Value> params{Text(who)};
  AddFilter(filter, sql, params);
  if (after) {
    sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
    params.insert(params.end(), {Int(after->created_at), Int(after->created_at), Text(after->id)});
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  params.push_back(Int(limit));
  CY_TRY(const Rows rows, tx.Query(sql, params));
  return Many(rows);
}

Result<ReviewComment> CommentFromRow(const Row& r) {
  ReviewComment c;
  CY_TRY(c.id, r.Text(0));
  CY_TRY(c.review_id, r.Text(1));
  CY_TRY(c.revision, r.Int(2));
  CY_TRY(c.author_id, r.Text(3));
  CY_TRY(c.path, OptText(r, 4));
  CY_TRY(c.start_line, OptInt(r, 5));
  CY_TRY(c.end_line, OptInt(r, 6));
  CY_TRY(const std::optional<std::string> side, OptText(r, 7));
  if (side) c.side = *side == "left" ? CommentSide::kLeft : CommentSide::kRight;
  CY_TRY(c.body, r.Text(8));
  CY_TRY(c.in_reply_to, OptText(r, 9));
  CY_TRY(const int64_t resolved, r.Int(10));
  c.resolved = resolved != 0;
  CY_TRY(c.created_at, r.Int(11));
  CY_TRY(c.updated_at, r.Int(12));
  CY_TRY(c.version, r.Int(13));
  return c;
}

constexpr std::string_view kCommentColumns =
    "id, review_id, revision, author_id, path, start_line, end_line, side, body, in_reply_to, "
    "resolved, created_at, updated_at, version";

Result<ReviewHistoryEntry> HistoryFromRow(const Row& r) {
  ReviewHistoryEntry h;
  CY_TRY(h.id, r.Int(0));
  CY_TRY(h.review_id, r.Text(1));
  CY_TRY(h.at, r.Int(2));
  CY_TRY(h.actor_id, r.Text(3));
  CY_TRY(h.action, r.Text(4));
  CY_TRY(const std::optional<std::string> from, OptText(r, 5));
  CY_TRY(const std::optional<std::string> to, OptText(r, 6));
  if (from) {
    CY_TRY(h.from, ParseReviewStatus(*from));
  }
  if (to) {
    CY_TRY(h.to, ParseReviewStatus(*to));
  }
  CY_TRY(h.revision, r.Int(7));
  CY_TRY(h.detail_json, r.Text(8));
  return h;
}

constexpr std::string_view kHistoryColumns =
    "id, review_id, at, actor_id, action, from_status, to_status, revision, detail";

}  // namespace

Result<void> Insert(Transaction& tx, const Review& v) {
  CY_CHECK(tx.Exec("INSERT INTO review_requests (" + std::string(kColumns) +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {Text(v.id), Text(v.author_id), Text(v.workspace_id), Text(v.title),
                    Text(v.description), Int(static_cast<int64_t>(v.priority)),
                    Int(v.required_level), Text(ReviewStatusName(v.status)), Opt(v.reviewer_id),
                    Int(v.revision), Opt(v.decision_message), Int(v.created_at), Int(v.updated_at),
                    Int(v.version), Text(v.org_id.empty() ? v.author_id : v.org_id)}));
  return {};
}

Result<Review> Get(Transaction& tx, std::string_view id) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT " + std::string(kColumns) + " FROM review_requests WHERE id = ?",
                  {Text(id)}));
  if (rows.empty()) return Fail(Error::Code::kNotFound, "reviews: review not found");
  return FromRow(rows.front());
}

Result<Review> UpdateIf(Transaction& tx, const Review& v, int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE review_requests SET status = ?, reviewer_id = ?, revision = ?, "
                 "decision_message = ?, updated_at = ?, version = version + 1 "
                 "WHERE id = ? AND version = ?",
                 {Text(ReviewStatusName(v.status)), Opt(v.reviewer_id), Int(v.revision),
                  Opt(v.decision_message), Int(now), Text(v.id), Int(v.version)}));
  if (changed == 0) {
    // Read again: under READ COMMITTED this statement sees the winner's commit.
    CY_TRY(const Review current, Get(tx, v.id));
    return Fail(Error::Code::kConflict, "reviews: review " + v.id + " is " +
                                            std::string(ReviewStatusName(current.status)) +
                                            " now; it was changed by someone else");
  }
  Review updated = v;
  updated.updated_at = now;
  updated.version = v.version + 1;
  return updated;
}

Result<std::vector<Review>> Queue(Transaction& tx, int level, std::string_view exclude_author,
                                  const ListFilter& filter, const std::optional<Review>& after,
                                  int64_t limit) {
  // Each query below is one range of the queue index, read in order: the rest of the
  // cursor's priority after it, then the lower priorities. One query with an OR of the two
  // made both planners scan the index from its start (a middle page of 10,000 reviews took
  // 15x the first).
  auto run = [&](std::optional<int64_t> priority, bool lower,
                 int64_t n) -> Result<std::vector<Review>> {
    std::string sql = "SELECT " + std::string(kColumns) +
                      " FROM review_requests WHERE status = 'pending' AND required_level <= ? "
                      "AND author_id <> ? AND (org_id = author_id OR org_id IN (SELECT "
                      "m.org_id FROM org_members m WHERE m.user_id = ?))";
    std::vector<Value> params{Int(level), Text(exclude_author), Text(exclude_author)};
    if (priority) {
      sql += lower ? " AND priority < ?" : " AND priority = ? AND (created_at, id) > (?, ?)";
      params.push_back(Int(*priority));
      if (!lower) params.insert(params.end(), {Int(after->created_at), Text(after->id)});
    }
    if (filter.priority) {
      sql += " AND priority = ?";
      params.push_back(Int(static_cast<int64_t>(*filter.priority)));
    }
    sql += " ORDER BY priority DESC, created_at, id LIMIT ?";
    params.push_back(Int(n));
    CY_TRY(const Rows rows, tx.Query(sql, params));
    return Many(rows);
  };
  if (!after) return run(std::nullopt, false, limit);
  const auto p = static_cast<int64_t>(after->priority);
  CY_TRY(std::vector<Review> out, run(p, false, limit));
  if (static_cast<int64_t>(out.size()) < limit && p > 0) {
    CY_TRY(std::vector<Review> rest, run(p, true, limit - static_cast<int64_t>(out.size())));
    out.insert(out.end(), std::make_move_iterator(rest.begin()),
               std::make_move_iterator(rest.end()));
  }
  return out;
}

Result<std::vector<Review>> ByAuthor(Transaction& tx, std::string_view author_id,
                                     const ListFilter& filter, const std::optional<Review>& after,
                                     int64_t limit) {
  return NewestBy(tx, "author_id", author_id, filter, after, limit);
}

Result<std::vector<Review>> ByReviewer(Transaction& tx, std::string_view reviewer_id,
                                       const ListFilter& filter, const std::optional<Review>& after,
                                       int64_t limit) {
  return NewestBy(tx, "reviewer_id", reviewer_id, filter, after, limit);
}

Result<std::optional<std::string>> LeastBusyReviewer(Transaction& tx, int required_level,
                                                     std::string_view author_id,
                                                     std::string_view pool_org) {
  std::vector<Value> params{Int(std::max(1, required_level)), Text(author_id)};
  std::string pool;
  if (!pool_org.empty()) {
    pool = "AND u.id IN (SELECT m.user_id FROM org_members m WHERE m.org_id = ?) ";
    params.push_back(Text(pool_org));
  }
  CY_TRY(const Rows rows,
         tx.Query("SELECT u.id FROM users u WHERE u.reviewer_level >= ? AND u.id <> ? " + pool +
                      "AND u.disabled = 0 ORDER BY (SELECT COUNT(*) FROM review_requests r "
                      "WHERE r.reviewer_id = u.id AND r.status IN ('in_review', "
                      "'changes_requested')), u.id LIMIT 1",
                  params));
  if (rows.empty()) return std::optional<std::string>();
  CY_TRY(std::string id, rows.front().Text(0));
  return std::optional<std::string>(std::move(id));
}

Result<std::vector<ReviewerRow>> ReviewerUsers(Transaction& tx) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT u.id, u.username, u.reviewer_level, (SELECT COUNT(*) FROM "
                  "review_requests r WHERE r.reviewer_id = u.id AND r.status IN ('in_review', "
                  "'changes_requested')) FROM users u WHERE u.reviewer_level > 0 "
                  "ORDER BY u.username",
                  {}));
  std::vector<ReviewerRow> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    ReviewerRow row;
    CY_TRY(row.id, r.Text(0));
    CY_TRY(row.username, r.Text(1));
    CY_TRY(const int64_t level, r.Int(2));
    row.level = static_cast<int>(level);
    CY_TRY(row.open_reviews, r.Int(3));
    out.push_back(std::move(row));
  }
  return out;
}

Result<void> InsertComment(Transaction& tx, const ReviewComment& c) {
  std::optional<std::string> side;
  if (c.side) side = *c.side == CommentSide::kLeft ? "left" : "right";
  CY_CHECK(
      tx.Exec("INSERT INTO review_comments (" + std::string(kCommentColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {Text(c.id), Text(c.review_id), Int(c.revision), Text(c.author_id), Opt(c.path),
               Opt(c.start_line), Opt(c.end_line), Opt(side), Text(c.body), Opt(c.in_reply_to),
               Int(c.resolved ? 1 : 0), Int(c.created_at), Int(c.updated_at), Int(c.version)}));
  return {};
}

Result<ReviewComment> GetComment(Transaction& tx, std::string_view review_id,
                                 std::string_view comment_id) {
  CY_TRY(const Rows rows, tx.Query("SELECT " + std::string(kCommentColumns) +
                                       " FROM review_comments WHERE id = ? AND review_id = ?",
                                   {Text(comment_id), Text(review_id)}));
  if (rows.empty()) return Fail(Error::Code::kNotFound, "reviews: comment not found");
  return CommentFromRow(rows.front());
}

Result<std::vector<ReviewComment>> Comments(Transaction& tx, std::string_view review_id) {
  CY_TRY(const Rows rows,
         tx.Query("SELECT " + std::string(kCommentColumns) +
                      " FROM review_comments WHERE review_id = ? ORDER BY created_at, id",
                  {Text(review_id)}));
  std::vector<ReviewComment> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(ReviewComment c, CommentFromRow(r));
    out.push_back(std::move(c));
  }
  return out;
}

Result<ReviewComment> SetResolved(Transaction& tx, const ReviewComment& c, bool resolved,
                                  int64_t now) {
  CY_TRY(const int64_t changed,
         tx.Exec("UPDATE review_comments SET resolved = ?, updated_at = ?, version = version + 1 "
                 "WHERE id = ? AND version = ?",
                 {Int(resolved ? 1 : 0), Int(now), Text(c.id), Int(c.version)}));
  if (changed == 0) return Fail(StaleOrMissing(tx, "review_comments", c.id, "comment"));
  ReviewComment out = c;
  out.resolved = resolved;
  out.updated_at = now;
  out.version = c.version + 1;
  return out;
}

Result<void> Append(Transaction& tx, const HistoryLine& line, int64_t at) {
  CY_CHECK(tx.Exec(
      "INSERT INTO review_history (review_id, at, actor_id, action, from_status, to_status, "
      "revision, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {Text(line.review_id), Int(at), Text(line.actor_id), Text(line.action),
       line.from ? Text(ReviewStatusName(*line.from)) : Value{},
       line.to ? Text(ReviewStatusName(*line.to)) : Value{}, Int(line.revision),
       Text(line.detail_json)}));
  return {};
}

Result<std::vector<ReviewHistoryEntry>> History(Transaction& tx, std::string_view review_id) {
  CY_TRY(const Rows rows, tx.Query("SELECT " + std::string(kHistoryColumns) +
                                       " FROM review_history WHERE review_id = ? ORDER BY at, id",
                                   {Text(review_id)}));
  std::vector<ReviewHistoryEntry> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(ReviewHistoryEntry h, HistoryFromRow(r));
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::vector<ReviewHistoryEntry>> HistoryOfActions(Transaction& tx,
                                                         const std::vector<std::string>& actions) {
  std::string sql =
      "SELECT " + std::string(kHistoryColumns) + " FROM review_history WHERE action IN (";
  std::vector<Value> params;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.push_back(Text(actions[i]));
  }
  sql += ") ORDER BY at, id";
  CY_TRY(const Rows rows, tx.Query(sql, params));
  std::vector<ReviewHistoryEntry> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    CY_TRY(ReviewHistoryEntry h, HistoryFromRow(r));
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace codeyard::store::reviews
