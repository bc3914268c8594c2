// Shared pieces of the API handlers: reading a JSON request body with errors that name the
// field, authenticating the bearer token, and the JSON shapes of library records. Pure
// functions over their arguments (Authenticate reads Accounts, which is thread-safe).
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "codeyard/accounts.hpp"
#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/records.hpp"
#include "router.hpp"

namespace codeyard::server {

// The body as a JSON object. kInvalidArgument for an empty body, bad JSON (invalid UTF-8
// included) or a value that is not an object.
[[nodiscard]] Result<boost::json::object> JsonBody(const Request& request);

// A required string field; kInvalidArgument "field 'name' is required" / "must be a string".
[[nodiscard]] Result<std::string> StringField(const boost::json::object& body,
                                              std::string_view name);
// An optional string field (absent or null gives nullopt).
[[nodiscard]] Result<std::optional<std::string>> OptionalString(const boost::json::object& body,
                                                                std::string_view name);
// An optional number field in [min, max] (absent or null gives nullopt).
[[nodiscard]] Result<std::optional<double>> OptionalNumber(const boost::json::object& body,
                                                           std::string_view name, double min,
                                                           double max);

// The token of an Authorization header value: the scheme "Bearer" in any case, then the
// token, spaces around either tolerated (RFC 7235). kUnauthenticated naming Bearer for another
// scheme, no token, or a token with a space in it.
[[nodiscard]] Result<std::string_view> BearerToken(std::string_view header);

// The verified claims of "Authorization: Bearer <token>"; kUnauthenticated otherwise.
[[nodiscard]] Result<AccessClaims> Authenticate(const Accounts& accounts, const Request& request);

// The version in an If-Match header ("3" or "\"3\""); nullopt when absent. kInvalidArgument
// when it is not a non-negative integer.
[[nodiscard]] Result<std::optional<int64_t>> IfMatchVersion(const Request& request);

// A handler that runs only for an authenticated user: f(request, user_id). `accounts` is the
// Services member, dereferenced per request, so routes can be registered before it is opened.
template <typename F>
[[nodiscard]] Handler Authed(const std::shared_ptr<Accounts>& accounts, F f) {
  return [&accounts, f = std::move(f)](const Request& r) -> Result<Response> {
    auto claims = Authenticate(*accounts, r);
    if (!claims) return Fail(claims.error());
    return f(r, claims->user_id);
  };
}

[[nodiscard]] boost::json::object UserJson(const User& user);
[[nodiscard]] boost::json::object WorkspaceJson(const Workspace& workspace);
[[nodiscard]] boost::json::object FileInfoJson(const FileInfo& info);

// A JSON response with `status` and `value` serialized.
[[nodiscard]] Response JsonResponse(int status, const boost::json::value& value);
// 204 without a body.
[[nodiscard]] Response NoContent();

}  // namespace codeyard::server
