// Repository of stored notifications (a user's unread list of review activity) and the
// events that push reviews to open pages. Each write also appends an event to the events
// table in the same transaction, addressed to one user (the event's owner_id is the
// recipient, which the events channel's default audience reads as "who may see it"), so a
// page learns of it live through core/events, whichever replica it is connected to. Runs
// inside the caller's transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/reviews.hpp"

namespace codeyard::store::notifications {

inline constexpr std::string_view kEventNotification = "notification";

struct NewNotification {
  std::string type;  // review.queued, review.claimed, ...
  std::string review_id;
  std::string workspace_id;  // the review's workspace, for the event row
  std::string actor_id;
  std::string data_json = "{}";
};

// Stores a notification for `user_id` and appends its `notification` event.
[[nodiscard]] Result<void> Notify(Transaction& tx, std::string_view user_id,
                                  const NewNotification& n, int64_t at);
// The same for every reviewer eligible for a review of `required_level` (level >= max(1,
// required), not disabled) other than the author and the actor: one INSERT ... SELECT each.
// With `pool_org`, only the members of that organization (its reviewer pool).
[[nodiscard]] Result<void> NotifyEligible(Transaction& tx, int required_level,
                                          std::string_view author_id, const NewNotification& n,
                                          int64_t at, std::string_view pool_org = {});

// Appends a `type` event (review.*) for `user_id` only, without a stored notification.
[[nodiscard]] Result<void> Event(Transaction& tx, std::string_view type,
                                 std::string_view workspace_id, std::string_view user_id,
                                 std::string_view data_json, int64_t at);

// The newest `limit` notifications of a user.
[[nodiscard]] Result<std::vector<Notification>> Latest(Transaction& tx, std::string_view user_id,
                                                       int64_t limit);
[[nodiscard]] Result<int64_t> Unread(Transaction& tx, std::string_view user_id);
// Marks some (or all) of a user's notifications read; ids of other users are ignored.
[[nodiscard]] Result<void> MarkRead(Transaction& tx, std::string_view user_id,
                                    const std::vector<int64_t>& ids, bool all);

}  // namespace codeyard::store::notifications
