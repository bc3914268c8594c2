// The private half of codeyard::Reviews, shared by reviews.cpp (requests and transitions),
// review_content.cpp (snapshots, diffs, comments) and review_people.cpp (reviewers,
// statistics, notifications). Every public call is one storage transaction.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "core/reviews/policy.hpp"

namespace codeyard {

class Reviews::Impl {
 public:
  Impl(std::shared_ptr<Platform> platform, ReviewsOptions options)
      : platform_(std::move(platform)), options_(options) {}

  [[nodiscard]] Storage& storage() const { return platform_->storage(); }
  [[nodiscard]] int64_t Now() const { return platform_->clock().NowMillis(); }
  [[nodiscard]] const ReviewsOptions& options() const { return options_; }

  // kNotFound for an unknown user.
  static Result<reviews::Caller> LoadCaller(Transaction& tx, std::string_view user_id);
  // The review if the caller may do `action` on it (policy::Authorize); an unknown id is
  // the same kNotFound as an invisible one.
  static Result<Review> Load(Transaction& tx, const reviews::Caller& caller, std::string_view id,
                             reviews::Action action);
  // Appends the `review.<action>` event for every user in `to` (the author, the reviewer,
  // whoever else the change concerns).
  static Result<void> Announce(Transaction& tx, const Review& review, std::string_view action,
                               const std::set<std::string>& to, int64_t at);
  // The JSON object the events and notifications carry about a review.
  static std::string ReviewData(const Review& review, std::string_view action,
                                std::string_view extra_fields = {});

  Result<Review> Transition(std::string_view caller_id, std::string_view id, reviews::Action action,
                            std::optional<ReviewDecision> decision, std::string_view message);

 private:
  std::shared_ptr<Platform> platform_;
  ReviewsOptions options_;
};

}  // namespace codeyard
