// Accounts over HTTP. Registration always asks for Role::kUser; the library checks every
// rule (username, password length, the login and registration rate limits, which get the
// client's address) and the handlers only move fields in and out.
#include "api.hpp"
#include "api_json.hpp"
#include "api_reviews_json.hpp"

namespace codeyard::server {
namespace {

boost::json::object SessionJson(const Session& s, int64_t now_ms) {
  const int64_t expires_in =
      s.access_expires_at > now_ms ? (s.access_expires_at - now_ms) / 1000 : 0;
  return {{"access_token", s.access_token},
          {"refresh_token", s.refresh_token},
          {"expires_in", expires_in},
          {"user", UserJson(s.user)}};
}

int64_t NowMs(const Services& services) { return services.platform->clock().NowMillis(); }

struct Credentials {
  std::string username;
  std::string password;
};

Result<Credentials> CredentialsOf(const Request& request) {
  auto body = JsonBody(request);
  if (!body) return Fail(body.error());
  auto username = StringField(*body, "username");
  if (!username) return Fail(username.error());
  auto password = StringField(*body, "password");
  if (!password) return Fail(password.error());
  return Credentials{std::move(*username), std::move(*password)};
}

Result<std::string> RefreshTokenOf(const Request& request) {
  auto body = JsonBody(request);
  if (!body) return Fail(body.error());
  return StringField(*body, "refresh_token");
}

}  // namespace

void AddAuthRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/auth/register", [&](const Request& r) -> Result<Response> {
    auto creds = CredentialsOf(r);
    if (!creds) return Fail(creds.error());
    NewUser user;
    user.username = creds->username;
    user.password = creds->password;
    const ClientInfo client{r.client_address};
    if (auto made = services.accounts->Register(user, client); !made) return Fail(made.error());
    auto session = services.accounts->Login(creds->username, creds->password, client);
    if (!session) return Fail(session.error());
    return JsonResponse(201, SessionJson(*session, NowMs(services)));
  });
  router.Add(Method::kPost, "/api/v1/auth/login", [&](const Request& r) -> Result<Response> {
    auto creds = CredentialsOf(r);
    if (!creds) return Fail(creds.error());
    auto session =
        services.accounts->Login(creds->username, creds->password, ClientInfo{r.client_address});
    if (!session) return Fail(session.error());
    return JsonResponse(200, SessionJson(*session, NowMs(services)));
  });
  router.Add(Method::kPost, "/api/v1/auth/refresh", [&](const Request& r) -> Result<Response> {
    auto token = RefreshTokenOf(r);
    if (!token) return Fail(token.error());
    auto session = services.accounts->Refresh(*token);
    if (!session) return Fail(session.error());
    return JsonResponse(200, SessionJson(*session, NowMs(services)));
  });
  router.Add(Method::kPost, "/api/v1/auth/logout", [&](const Request& r) -> Result<Response> {
    auto token = RefreshTokenOf(r);
    if (!token) return Fail(token.error());
    if (auto done = services.accounts->Logout(*token); !done) return Fail(done.error());
    return NoContent();
  });
  router.Add(Method::kGet, "/api/v1/me", [&](const Request& r) -> Result<Response> {
    auto claims = Authenticate(*services.accounts, r);
    if (!claims) return Fail(claims.error());
    auto user = services.accounts->GetUser(claims->user_id);
    if (!user) return Fail(user.error());
    return JsonResponse(200, UserJson(*user));
  });
  // Either field group, or both: {"reviewer_level"} (the library's self-service rule) and
  // {"old_password","new_password"}.
  router.Add(Method::kPatch, "/api/v1/me", [&](const Request& r) -> Result<Response> {
    auto claims = Authenticate(*services.accounts, r);
    if (!claims) return Fail(claims.error());
    auto body = JsonBody(r);
    if (!body) return Fail(body.error());
    auto level = OptionalInt(*body, "reviewer_level", 0, kMaxReviewerLevel);
    if (!level) return Fail(level.error());
    const bool password = body->contains("old_password") || body->contains("new_password");
    if (!*level && !password) {
      return Fail(Error::Code::kInvalidArgument,
                  "give field 'reviewer_level' or fields 'old_password' and 'new_password'");
    }
    if (*level) {
      auto set = services.reviews->SetReviewerLevel(claims->user_id, claims->user_id,
                                                    static_cast<int>(**level));
      if (!set) return Fail(set.error());
    }
    if (password) {
      auto old_password = StringField(*body, "old_password");
      if (!old_password) return Fail(old_password.error());
      auto new_password = StringField(*body, "new_password");
      if (!new_password) return Fail(new_password.error());
      auto changed =
          services.accounts->ChangePassword(claims->user_id, *old_password, *new_password);
      if (!changed) return Fail(changed.error());
    }
    auto user = services.accounts->GetUser(claims->user_id);
    if (!user) return Fail(user.error());
    return JsonResponse(200, UserJson(*user));
  });
}

}  // namespace codeyard::server
