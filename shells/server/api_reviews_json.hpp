// The JSON shapes of code review (codeyard/reviews.hpp) and the small readers its routes share.
// Every person in these shapes is `{"id","username"}` (a review's author and reviewer, a
// comment's author, a history entry's actor, a notification's actor), so a page shows names
// without a lookup of its own; the username is null for a user deleted since. Pure functions
// but UserNames, which reads Accounts (thread-safe) and is used by one request at a time.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/accounts.hpp"
#include "codeyard/error.hpp"
#include "codeyard/reviews.hpp"
#include "router.hpp"

namespace codeyard::server {

// Usernames of the users one answer names, each read once per request.
class UserNames {
 public:
  explicit UserNames(const Accounts& accounts) : accounts_(accounts) {}
  // {"id","username"}; null for an absent id.
  [[nodiscard]] boost::json::value Json(const std::optional<std::string>& user_id);

 private:
  const Accounts& accounts_;
  std::map<std::string, std::optional<std::string>, std::less<>> names_;
};

[[nodiscard]] boost::json::object ReviewJson(const Review& review, UserNames& names);
[[nodiscard]] boost::json::object RevisionItemJson(const RevisionItem& item);
[[nodiscard]] boost::json::object FileDiffJson(const FileDiff& diff);
[[nodiscard]] boost::json::object CommentJson(const ReviewComment& comment, UserNames& names);
[[nodiscard]] boost::json::object HistoryJson(const ReviewHistoryEntry& entry, UserNames& names);
[[nodiscard]] boost::json::object ReviewerJson(const ReviewerStats& stats);
// {"items":[...],"unread":n}.
[[nodiscard]] boost::json::object NotificationPageJson(const NotificationPage& page,
                                                       UserNames& names);

// An optional integer field in [min, max] (absent or null gives nullopt); kInvalidArgument
// naming the field for a fraction, another type or a value out of range.
[[nodiscard]] Result<std::optional<int64_t>> OptionalInt(const boost::json::object& body,
                                                         std::string_view name, int64_t min,
                                                         int64_t max);
// An optional boolean field (absent or null gives nullopt).
[[nodiscard]] Result<std::optional<bool>> OptionalBool(const boost::json::object& body,
                                                       std::string_view name);
// A decimal integer in [min, max] from a path parameter or query value called `name`.
[[nodiscard]] Result<int64_t> IntText(std::string_view text, std::string_view name, int64_t min,
                                      int64_t max);

}  // namespace codeyard::server
