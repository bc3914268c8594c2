// Sessions: issuing access and refresh tokens, rotating refresh tokens with reuse detection,
// logout, and access-token checks. Users and passwords are in accounts.cpp.
#include <optional>
#include <utility>

#include "codeyard/accounts.hpp"
#include "codeyard/audit.hpp"
#include "codeyard/id.hpp"
#include "core/auth/tokens.hpp"
#include "core/store/audit.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr std::string_view kInvalidRefresh = "accounts: invalid refresh token";
constexpr std::string_view kReused =
    "accounts: refresh token was already used; every session of this login has been revoked";

int64_t Millis(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
}

// A session and the row that stores its refresh token; nothing is written yet.
struct Issued {
  Session session;
  RefreshToken row;
};

Result<Issued> MakeSession(const AccountsOptions& options, int64_t now, const User& user,
                           std::string family_id) {
  AccessClaims claims;
  claims.user_id = user.id;
  claims.role = user.role;
  claims.issued_at = now / 1000 * 1000;  // JWT times are whole seconds
  claims.expires_at = claims.issued_at + Millis(options.access_token_ttl);
  claims.token_id = NewUuid();
  claims.session_id = family_id;
  CY_TRY(std::string refresh, auth::NewRefreshToken());

  Issued out;
  out.row.id = NewUuid();
  out.row.user_id = user.id;
  out.row.family_id = std::move(family_id);
  out.row.token_hash = Sha256Hex(refresh);
  out.row.created_at = now;
  out.row.expires_at = now + Millis(options.refresh_token_ttl);
  out.session.access_token = auth::SignAccessToken(claims, options.secret);
  out.session.access_expires_at = claims.expires_at;
  out.session.refresh_token = std::move(refresh);
  out.session.refresh_expires_at = out.row.expires_at;
  out.session.user = user;
  out.session.user.password_hash.clear();
  return out;
}

// What a refresh transaction decided. A detected reuse must commit (the family revocation
// is the point) and still fail the call, so it travels as a value, not as an error.
struct Rotation {
  Session session;
  std::optional<Error> failure;
};

}  // namespace

Result<void> Accounts::CheckSecret() const {
  if (options_.secret.size() < auth::kMinSecretBytes) {
    return Fail(Error::Code::kFailedPrecondition,
                "accounts: the signing secret is shorter than 32 bytes (see ResolveSecret)");
  }
  return {};
}

Result<Session> Accounts::StartSession(const User& user) {
  CY_CHECK(CheckSecret());
  CY_TRY(Issued issued, MakeSession(options_, platform_.clock().NowMillis(), user, NewUuid()));
  auto stored =
      store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_CHECK(store::refresh_tokens::Insert(tx, issued.row));
        // admin20: a login is recorded with the session it started.
        CY_CHECK(store::audit::Record(tx, platform_.clock().NowMillis(), user.id,
                                      audit_action::kLogin, user.id));
        return {};
      });
  if (!stored) return Fail(stored.error());
  return std::move(issued.session);
}

Result<Session> Accounts::Refresh(std::string_view refresh_token) {
  CY_CHECK(CheckSecret());
  if (!auth::IsRefreshTokenShaped(refresh_token)) {
    return Fail(Error::Code::kUnauthenticated, std::string(kInvalidRefresh));
  }
  const std::string hash = Sha256Hex(refresh_token);
  auto rotated = store::Transact(
      platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<Rotation> {
        auto old = store::refresh_tokens::GetByHash(tx, hash);
        if (!old && old.error().code() == Error::Code::kNotFound) {
          return Fail(Error::Code::kUnauthenticated, std::string(kInvalidRefresh));
        }
        if (!old) return Fail(old.error());
        const int64_t now = platform_.clock().NowMillis();
        const auto reuse = [&]() -> Result<Rotation> {
          CY_CHECK(store::refresh_tokens::RevokeFamily(tx, old->family_id, now));
          return Rotation{{}, Error(Error::Code::kUnauthenticated, std::string(kReused))};
        };
        if (old->revoked_at) {
          if (old->replaced_by) return reuse();
          return Fail(Error::Code::kUnauthenticated, "accounts: refresh token has been revoked");
        }
        if (now >= old->expires_at) {
          return Fail(Error::Code::kUnauthenticated, "accounts: refresh token has expired");
        }
        CY_TRY(const User user, store::users::Get(tx, old->user_id));
        if (user.disabled) {
          return Fail(Error::Code::kPermissionDenied, "accounts: this account is disabled");
        }
        CY_TRY(Issued issued, MakeSession(options_, now, user, old->family_id));
        // On PostgreSQL two rotations can both read the token as live; the conditional
        // update lets exactly one of them revoke it, and the loser is treated as a reuse.
        // (On SQLite writers are serialized, so the loser already sees the token rotated.)
        CY_TRY(const bool won, store::refresh_tokens::Revoke(tx, old->id, now, issued.row.id));
        if (!won) return reuse();
        CY_CHECK(store::refresh_tokens::Insert(tx, issued.row));
        return Rotation{std::move(issued.session), std::nullopt};
      });
  if (!rotated) return Fail(rotated.error());
  Rotation& rotation = *rotated;
  if (rotation.failure.has_value()) return Fail(*rotation.failure);
  return std::move(rotation.session);
}

Result<void> Accounts::Logout(std::string_view refresh_token) {
  if (!auth::IsRefreshTokenShaped(refresh_token)) {
    return Fail(Error::Code::kUnauthenticated, std::string(kInvalidRefresh));
  }
  const std::string hash = Sha256Hex(refresh_token);
  return store::Transact(platform_.storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    auto token = store::refresh_tokens::GetByHash(tx, hash);
    if (!token && token.error().code() == Error::Code::kNotFound) {
      return Fail(Error::Code::kUnauthenticated, std::string(kInvalidRefresh));
    }
    if (!token) return Fail(token.error());
    const int64_t now = platform_.clock().NowMillis();
    CY_CHECK(store::refresh_tokens::RevokeFamily(tx, token->family_id, now));
    CY_CHECK(store::audit::Record(tx, now, token->user_id, audit_action::kLogout, token->user_id));
    return {};
  });
}

Result<AccessClaims> Accounts::VerifyAccessToken(std::string_view token) const {
  CY_CHECK(CheckSecret());
  CY_TRY(AccessClaims claims,
         auth::VerifyAccessToken(token, options_.secret, platform_.clock().NowMillis()));
  CY_TRY(claims.role, CheckLogin(claims.user_id, claims.session_id));
  return claims;
}

Result<Role> Accounts::CheckLogin(std::string_view user_id, std::string_view session_id) const {
  // Revocation is state in storage, not in this process, so it holds on every replica.
  auto standing = store::Transact(platform_.storage(), TxKind::kRead, [&](Transaction& tx) {
    return store::users::GetStanding(tx, user_id, session_id);
  });
  if (!standing) {
    if (standing.error().code() == Error::Code::kNotFound) {
      return Fail(Error::Code::kUnauthenticated,
                  "accounts: access token revoked: the user no longer exists");
    }
    return Fail(standing.error());
  }
  if (standing->disabled) {
    return Fail(Error::Code::kUnauthenticated,
                "accounts: access token revoked: the account is disabled");
  }
  if (!standing->session_live) {
    return Fail(Error::Code::kUnauthenticated,
                "accounts: access token revoked: the login has ended (logout, password change "
                "or a reused refresh token); log in again");
  }
  return standing->role;
}

}  // namespace codeyard
