#include "core/store/progress.hpp"

#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::progress {

Result<void> Record(Transaction& tx, std::string_view user_id, std::string_view problem_id,
                    double score, double max_score, bool accepted, int64_t at) {
  // An upsert, atomic per row on both backends; a retried job never gets here twice, since
  // the hook runs only in the transaction that wins the job's completion.
  CY_CHECK(tx.Exec(
      "INSERT INTO progress (user_id, problem_id, attempts, best_score, max_score, solved, "
      "first_solved_at, last_submitted_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?) "
      "ON CONFLICT (user_id, problem_id) DO UPDATE SET attempts = progress.attempts + 1, "
      "best_score = CASE WHEN excluded.best_score > progress.best_score "
      "THEN excluded.best_score ELSE progress.best_score END, "
      "max_score = excluded.max_score, "
      "solved = CASE WHEN progress.solved = 1 OR excluded.solved = 1 THEN 1 ELSE 0 END, "
      "first_solved_at = COALESCE(progress.first_solved_at, excluded.first_solved_at), "
      "last_submitted_at = CASE WHEN excluded.last_submitted_at > progress.last_submitted_at "
      "THEN excluded.last_submitted_at ELSE progress.last_submitted_at END",
      {Text(user_id), Text(problem_id), Value{score}, Value{max_score},
       Value{int64_t{accepted ? 1 : 0}}, accepted ? Value{at} : Value{}, Value{at}}));
  return {};
}

Result<std::vector<Row>> ForUser(Transaction& tx, std::string_view user_id) {
  CY_TRY(Rows rows, tx.Query("SELECT progress.problem_id, attempts, best_score, max_score, solved, "
                             "first_solved_at, last_submitted_at, problems.level FROM progress "
                             "LEFT JOIN problems ON problems.id = progress.problem_id "
                             "WHERE progress.user_id = ? ORDER BY progress.problem_id",
                             {Text(user_id)}));
  std::vector<Row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    Row row;
    CY_TRY(row.problem_id, r.Text(0));
    CY_TRY(row.attempts, r.Int(1));
    CY_TRY(row.best_score, r.Double(2));
    CY_TRY(row.max_score, r.Double(3));
    CY_TRY(const int64_t solved, r.Int(4));
    row.solved = solved != 0;
    if (!r.IsNull(5)) {
      CY_TRY(row.first_solved_at, r.Int(5));
    }
    CY_TRY(row.last_submitted_at, r.Int(6));
    if (!r.IsNull(7)) {
      CY_TRY(const int64_t level, r.Int(7));
      row.level = static_cast<int>(level);
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace codeyard::store::progress
