// Repository of progress rows (the `progress` table): one per user and problem they submitted
// to. Runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"

namespace codeyard::store::progress {

struct Row {
  std::string problem_id;
  int64_t attempts = 0;
  double best_score = 0;
  double max_score = 0;
  bool solved = false;
  std::optional<int64_t> first_solved_at;
  int64_t last_submitted_at = 0;
  std::optional<int> level;  // the problem's level, when it exists and has one
};

// One graded submission, `at` its submission time: attempts + 1, the best score kept, solved
// once accepted (first_solved_at the first accepted submission's time). One statement.
[[nodiscard]] Result<void> Record(Transaction& tx, std::string_view user_id,
                                  std::string_view problem_id, double score, double max_score,
                                  bool accepted, int64_t at);

// Every row of the user, by problem id, with the problem's level.
[[nodiscard]] Result<std::vector<Row>> ForUser(Transaction& tx, std::string_view user_id);

}  // namespace codeyard::store::progress
