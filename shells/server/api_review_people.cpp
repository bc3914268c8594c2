// Reviewers and notifications over HTTP: the reviewer list with statistics and a user's
// stored notifications (GET, and marking them read). A user's own reviewer level is set with
// PATCH /api/v1/me (api_auth.cpp); the rule (self-service 0-4, admins for anyone) is the
// library's.
#include "api.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "api_reviews_json.hpp"

namespace codeyard::server {

void AddReviewerRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/reviewers",
             Authed(services.accounts,
                    [&services](const Request&, const std::string& user) -> Result<Response> {
                      auto reviewers = services.reviews->Reviewers(user);
                      if (!reviewers) return Fail(reviewers.error());
                      boost::json::array items;
                      for (const ReviewerStats& s : *reviewers) items.push_back(ReviewerJson(s));
                      return JsonResponse(200, boost::json::object{{"items", std::move(items)}});
                    }));
  router.Add(Method::kGet, "/api/v1/notifications",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      int64_t limit = 50;
                      if (const auto text = r.Query("limit")) {
                        auto parsed = IntText(*text, "limit", 1, kMaxPageLimit);
                        if (!parsed) return Fail(parsed.error());
                        limit = *parsed;
                      }
                      auto page = services.reviews->Notifications(user, limit);
                      if (!page) return Fail(page.error());
                      UserNames names(*services.accounts);
                      return JsonResponse(200, NotificationPageJson(*page, names));
                    }));
  router.Add(Method::kPost, "/api/v1/notifications/read",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto all = OptionalBool(*body, "all");
                      if (!all) return Fail(all.error());
                      std::vector<int64_t> ids;
                      if (const auto it = body->find("ids"); it != body->end()) {
                        if (!it->value().is_array()) {
                          return Fail(Error::Code::kInvalidArgument,
                                      "field 'ids' must be an array of notification ids");
                        }
                        for (const boost::json::value& v : it->value().as_array()) {
                          if (!v.is_int64()) {
                            return Fail(Error::Code::kInvalidArgument,
                                        "field 'ids' must be an array of notification ids");
                          }
                          ids.push_back(v.as_int64());
                        }
                      } else if (!all->value_or(false)) {
                        return Fail(Error::Code::kInvalidArgument,
                                    "give field 'ids' (an array) or 'all': true");
                      }
                      auto page = services.reviews->MarkRead(user, ids, all->value_or(false));
                      if (!page) return Fail(page.error());
                      UserNames names(*services.accounts);
                      return JsonResponse(200, NotificationPageJson(*page, names));
                    }));
}

}  // namespace codeyard::server
