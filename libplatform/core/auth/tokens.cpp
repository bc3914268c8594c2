#include "core/auth/tokens.hpp"

#include <openssl/crypto.h>
#include <sodium.h>
#include <boost/json.hpp>

#include <array>
#include <functional>
#include <limits>

#include "codeyard/id.hpp"

namespace codeyard::auth {
namespace {

namespace json = boost::json;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kRefreshTokenBytes = 32;
constexpr std::size_t kRefreshTokenChars = 43;  // ceil(32 * 8 / 6)
// Far above any token we issue; stops a huge header from costing parse time.
constexpr std::size_t kMaxAccessTokenBytes = 4096;
constexpr std::size_t kSignatureBytes = 32;

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// libsodium's HMAC-SHA256, not OpenSSL's HMAC(): in OpenSSL 3 that looks the algorithm up
// again on every call, which cost more than the rest of verifying a token (docs/benchmarks.md).
std::string Hmac(std::string_view secret, std::string_view data) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof(state));
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

std::unexpected<Error> Bad(std::string_view why) {
  return Fail(Error::Code::kUnauthenticated, "accounts: access token " + std::string(why));
}

// Parses one base64url JSON object part of a token; nullopt if it is not one.
std::optional<json::object> DecodeObject(std::string_view part) {
  auto text = Base64UrlDecode(part);
  if (!text) return std::nullopt;
  json::error_code ec;
  json::value value = json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

const json::string* StringField(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v != nullptr ? v->if_string() : nullptr;
}

// Seconds as milliseconds, or nullopt for a missing, non-integer or out-of-range claim.
std::optional<int64_t> SecondsField(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  const int64_t s = v->get_int64();
  if (s < 0 || s > std::numeric_limits<int64_t>::max() / 1000) return std::nullopt;
  return s * 1000;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  // A lone trailing character holds only 6 bits: never a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = DecodeChar(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two spellings would decode to the same bytes.
  if ((acc & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string SignAccessToken(const AccessClaims& claims, std::string_view secret) {
  // Never destroyed, as the language table (run/language.cpp): a thread may sign at exit.
  static const auto& kHeader = *new std::string(Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"));
  json::object payload;
  payload["sub"] = claims.user_id;
  payload["role"] = RoleName(claims.role);
  payload["iat"] = claims.issued_at / 1000;
  payload["exp"] = claims.expires_at / 1000;
  payload["jti"] = claims.token_id;
  payload["sid"] = claims.session_id;
  std::string token = kHeader + "." + Base64UrlEncode(json::serialize(payload));
  token += "." + Base64UrlEncode(Hmac(secret, token));
  return token;
}

namespace {

Result<AccessClaims> VerifyUncached(std::string_view token, std::string_view secret,
                                    int64_t now_ms) {
  if (token.empty()) return Bad("is missing");
  if (token.size() > kMaxAccessTokenBytes) return Bad("is too long");
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Bad("is malformed: expected three base64url parts separated by '.'");
  }
  const auto header = DecodeObject(token.substr(0, dot1));
  if (!header) return Bad("is malformed: the header is not base64url JSON");
  const json::string* alg = StringField(*header, "alg");
  if (alg == nullptr) return Bad("header names no algorithm");
  // Only the algorithm we sign with: "none" or RS256 (with our secret as a "public key")
  // are the classic ways to forge a token that a permissive verifier accepts.
  if (*alg != "HS256") return Bad("algorithm \"" + std::string(*alg) + "\" is not accepted");
  if (header->contains("crit")) return Bad("header has critical extensions we do not know");

  const auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!signature || signature->size() != kSignatureBytes) {
    return Bad("signature is malformed");
  }
  const std::string expected = Hmac(secret, token.substr(0, dot2));
  if (CRYPTO_memcmp(expected.data(), signature->data(), kSignatureBytes) != 0) {
    return Bad("signature does not match");
  }

  const auto payload = DecodeObject(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return Bad("is malformed: the claims are not base64url JSON");
  const json::string* sub = StringField(*payload, "sub");
  const json::string* role = StringField(*payload, "role");
  const json::string* jti = StringField(*payload, "jti");
  const json::string* sid = StringField(*payload, "sid");
  const auto iat = SecondsField(*payload, "iat");
  const auto exp = SecondsField(*payload, "exp");
  // A token without its login cannot be revoked: refused (tokens issued before `sid` existed
  // expire within minutes, and their refresh tokens still work).
  if (sub == nullptr || sub->empty() || role == nullptr || jti == nullptr || sid == nullptr ||
      sid->empty() || !iat || !exp) {
    return Bad("lacks a required claim (sub, role, iat, exp, jti, sid)");
  }
  auto parsed_role = ParseRole(*role);
  if (!parsed_role) return Bad("has an unknown role");
  if (now_ms >= *exp) return Bad("has expired");
  return AccessClaims{std::string(*sub), *parsed_role,     *iat, *exp,
                      std::string(*jti), std::string(*sid)};
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<AccessClaims> VerifyAccessToken(std::string_view token, std::string_view secret,
                                       int64_t now_ms) {
  // Tokens this thread verified lately. A token's signature and claims are fixed, so a hit
  // gives the same answer as checking it again; only the expiry depends on the time. Decoding
  // and the HMAC were most of a token check, which every authenticated request makes
  // (docs/benchmarks.md). Compared in constant time, like the signature itself.
  struct Verified {
    std::string token;
    std::string secret;
    AccessClaims claims;
  };
  static constexpr std::size_t kSlots = 32;
  thread_local std::array<Verified, kSlots> verified;
  Verified& slot = verified[std::hash<std::string_view>{}(token) % kSlots];
  if (!token.empty() && SameBytes(slot.token, token) && SameBytes(slot.secret, secret)) {
    if (now_ms >= slot.claims.expires_at) return Bad("has expired");
    return slot.claims;
  }
  auto claims = VerifyUncached(token, secret, now_ms);
  if (claims) slot = Verified{std::string(token), std::string(secret), *claims};
  return claims;
}

Result<std::string> NewRefreshToken() {
  auto bytes = RandomBytes(kRefreshTokenBytes);
  if (!bytes) return Fail(bytes.error());
  return Base64UrlEncode(*bytes);
}

bool IsRefreshTokenShaped(std::string_view token) {
  return token.size() == kRefreshTokenChars && Base64UrlDecode(token).has_value();
}

}  // namespace codeyard::auth
