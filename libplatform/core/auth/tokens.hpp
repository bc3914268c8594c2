// The two token formats. Access tokens are compact JWTs, HS256 only:
//   base64url({"alg":"HS256","typ":"JWT"}) . base64url(claims) . base64url(HMAC-SHA256)
// with claims sub, role, iat, exp (seconds, as RFC 7519 says), jti and sid (the login, i.e.
// the refresh-token family). Refresh tokens are 32 random bytes in base64url (43 characters)
// that only the client keeps; storage holds their SHA-256. base64url here is RFC 4648 section
// 5 without padding, decoded strictly (no padding, no other alphabet, no stray bits) so that
// each token has exactly one spelling. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/accounts.hpp"
#include "codeyard/error.hpp"

namespace codeyard::auth {

inline constexpr std::size_t kMinSecretBytes = 32;

[[nodiscard]] std::string Base64UrlEncode(std::string_view bytes);
// nullopt for anything that Base64UrlEncode would not have produced.
[[nodiscard]] std::optional<std::string> Base64UrlDecode(std::string_view text);

// Signs `claims` (times in milliseconds, truncated to whole seconds in the token).
[[nodiscard]] std::string SignAccessToken(const AccessClaims& claims, std::string_view secret);

// Checks format, algorithm, signature (in constant time) and that `now_ms` is before the
// expiry. kUnauthenticated, saying which check failed. Each thread remembers the last tokens
// it verified, so checking one again costs a lookup and the expiry check.
[[nodiscard]] Result<AccessClaims> VerifyAccessToken(std::string_view token,
                                                     std::string_view secret, int64_t now_ms);

// A new opaque refresh token.
[[nodiscard]] Result<std::string> NewRefreshToken();

// True if `token` has the shape NewRefreshToken produces (checked before any storage lookup).
[[nodiscard]] bool IsRefreshTokenShaped(std::string_view token);

}  // namespace codeyard::auth
