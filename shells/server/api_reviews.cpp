// Review requests over HTTP: submit, the three lists, one review, and its transitions (claim,
// unclaim, withdraw, resubmit, decision). The library decides every rule (the status machine,
// the access policy, the atomic claim): a review the caller may not see is kNotFound (404),
// an illegal transition or a lost claim race kConflict naming the current status (409), a
// visible review the caller may not act on kPermissionDenied (403). The handlers only move
// fields in and out (api_reviews_json.hpp).
#include "api.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "api_reviews_json.hpp"

namespace codeyard::server {
namespace {

std::string IdOf(const Request& r) { return std::string(r.Param("id").value_or("")); }

Result<NewReview> NewReviewOf(const Request& r) {
  auto body = JsonBody(r);
  if (!body) return Fail(body.error());
  NewReview in;
  auto workspace = StringField(*body, "workspace_id");
  if (!workspace) return Fail(workspace.error());
  in.workspace_id = std::move(*workspace);
  auto title = StringField(*body, "title");
  if (!title) return Fail(title.error());
  in.title = std::move(*title);
  auto description = OptionalString(*body, "description");
  if (!description) return Fail(description.error());
  in.description = description->value_or("");
  auto priority = OptionalString(*body, "priority");
  if (!priority) return Fail(priority.error());
  if (const std::optional<std::string>& name = *priority; name.has_value()) {
    auto parsed = ParseReviewPriority(*name);
    if (!parsed) return Fail(parsed.error());
    in.priority = *parsed;
  }
  auto level = OptionalInt(*body, "required_level", 0, kMaxReviewerLevel);
  if (!level) return Fail(level.error());
  in.required_level = static_cast<int>(level->value_or(0));
  return in;
}

Result<ReviewListRequest> ListRequestOf(const Request& r) {
  ReviewListRequest request;
  auto page = PageFrom(r);
  if (!page) return Fail(page.error());
  request.page = std::move(*page);
  if (const auto role = r.Query("role")) {
    auto parsed = ParseReviewRole(*role);
    if (!parsed) return Fail(parsed.error());
    request.role = *parsed;
  }
  if (const auto priority = r.Query("priority")) {
    auto parsed = ParseReviewPriority(*priority);
    if (!parsed) return Fail(parsed.error());
    request.priority = *parsed;
  }
  if (const auto status = r.Query("status")) {
    auto parsed = ParseReviewStatus(*status);
    if (!parsed) return Fail(parsed.error());
    request.status = *parsed;
  }
  return request;
}

Response ReviewResponse(int status, const Review& review, const Services& services) {
  UserNames names(*services.accounts);
  return JsonResponse(status, ReviewJson(review, names));
}

// A transition route: POST /api/v1/reviews/{id}/<name> without a body.
using Transition = Result<Review> (Reviews::*)(std::string_view, std::string_view);

void AddTransition(Router& router, Services& services, std::string_view name, Transition call) {
  router.Add(
      Method::kPost, "/api/v1/reviews/{id}/" + std::string(name),
      Authed(services.accounts,
             [&services, call](const Request& r, const std::string& user) -> Result<Response> {
               auto review = ((*services.reviews).*call)(user, IdOf(r));
               if (!review) return Fail(review.error());
               return ReviewResponse(200, *review, services);
             }));
}

}  // namespace

void AddReviewRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/reviews",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto in = NewReviewOf(r);
                      if (!in) return Fail(in.error());
                      auto review = services.reviews->Create(user, *in);
                      if (!review) return Fail(review.error());
                      return ReviewResponse(201, *review, services);
                    }));
  router.Add(Method::kGet, "/api/v1/reviews",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto request = ListRequestOf(r);
                      if (!request) return Fail(request.error());
                      auto list = services.reviews->List(user, *request);
                      if (!list) return Fail(list.error());
                      UserNames names(*services.accounts);
                      boost::json::array items;
                      for (const Review& review : list->items) {
                        items.push_back(ReviewJson(review, names));
                      }
                      return JsonResponse(200, PageJson(std::move(items), list->next_cursor));
                    }));
  router.Add(Method::kGet, "/api/v1/reviews/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto review = services.reviews->Get(user, IdOf(r));
                      if (!review) return Fail(review.error());
                      return ReviewResponse(200, *review, services);
                    }));
  AddTransition(router, services, "claim", &Reviews::Claim);
  AddTransition(router, services, "unclaim", &Reviews::Unclaim);
  AddTransition(router, services, "withdraw", &Reviews::Withdraw);
  AddTransition(router, services, "resubmit", &Reviews::Resubmit);
  router.Add(Method::kPost, "/api/v1/reviews/{id}/decision",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto decision_name = StringField(*body, "decision");
                      if (!decision_name) return Fail(decision_name.error());
                      auto decision = ParseReviewDecision(*decision_name);
                      if (!decision) return Fail(decision.error());
                      auto message = OptionalString(*body, "message");
                      if (!message) return Fail(message.error());
                      auto review =
                          services.reviews->Decide(user, IdOf(r), *decision, message->value_or(""));
                      if (!review) return Fail(review.error());
                      return ReviewResponse(200, *review, services);
                    }));
}

}  // namespace codeyard::server
