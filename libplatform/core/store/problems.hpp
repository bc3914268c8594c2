// Repository of problems: the row, its topics, its tests and assets (both naming content
// blobs, so equal data is stored once). Put replaces a problem whole; Get reads it with or
// without its hidden tests. Runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/problems.hpp"

namespace codeyard::store::problems {

// Inserts the problem or replaces every part of the one with its id (created_at is kept from
// the old row); returns the stored created_at. With `create_only`, kAlreadyExists when the id
// is taken (nothing written).
[[nodiscard]] Result<int64_t> Put(Transaction& tx, const Problem& problem, int64_t now,
                                  bool create_only = false);
// kNotFound when absent. Without `hidden`, hidden tests are left out (never read).
[[nodiscard]] Result<Problem> Get(Transaction& tx, std::string_view id, bool hidden);
// false when there was none.
[[nodiscard]] Result<bool> Delete(Transaction& tx, std::string_view id);

struct Summary {
  std::string id;
  std::string title;
  ProblemTags tags;
  bool is_public = true;
  std::string org_id;     // "" = the platform's
  bool org_only = false;  // visibility "org"
  int64_t public_tests = 0;
  int64_t hidden_tests = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};
struct ListFilter {
  std::optional<int> level;
  std::optional<std::string> topic;
  bool include_private = false;
  // Set: only problems `user_id` solved (true) or has not solved (false), per the progress table.
  std::optional<bool> solved;
  std::string user_id;
  // Without include_private: who lists, for the problems of their organizations with
  // visibility "org" (organizations, issue 20).
  std::string viewer_id;
};
// In id order, after `after_id` ("" for the first page), at most `limit`.
[[nodiscard]] Result<std::vector<Summary>> List(Transaction& tx, const ListFilter& filter,
                                                std::string_view after_id, int64_t limit);

}  // namespace codeyard::store::problems
