// Submissions::Progress: the user's progress rows, summed per level and overall.
#include "core/store/progress.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/submissions.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

void Add(ProgressSummary& summary, const ProblemProgress& p) {
  ++summary.attempted;
  if (p.solved) ++summary.solved;
  summary.points += p.best_score;
}

}  // namespace

Result<UserProgress> Submissions::Progress(std::string_view user_id) {
  CY_TRY(const std::vector<store::progress::Row> rows,
         store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) { return store::progress::ForUser(tx, user_id); }));
  UserProgress out;
  out.problems.reserve(rows.size());
  for (const store::progress::Row& row : rows) {
    ProblemProgress p;
    p.problem = row.problem_id;
    p.level = row.level;
    p.attempts = row.attempts;
    p.best_score = row.best_score;
    p.max_score = row.max_score;
    p.solved = row.solved;
    p.first_solved_at = row.first_solved_at;
    p.last_submitted_at = row.last_submitted_at;
    Add(out.overall, p);
    if (p.level) Add(out.levels[*p.level], p);
    out.problems.push_back(std::move(p));
  }
  return out;
}

}  // namespace codeyard
