// codeyard::Downloads: tokens are base64url(JSON grant) "." base64url(HMAC-SHA256), the MAC
// taken over "download-v1." + the first part, so a token of another kind signed with the same
// key could never pass. The key is made once per database (server_secrets, an insert that
// loses a race reads the winner's), then cached.
#include "codeyard/downloads.hpp"

#include <sodium.h>

#include <array>
#include <boost/json.hpp>

#include "core/auth/tokens.hpp"
#include "core/files/file_ops.hpp"
#include "core/store/items.hpp"
#include "core/store/store_util.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

namespace json = boost::json;

constexpr std::string_view kKeyName = "downloads";
constexpr std::string_view kDomain = "download-v1.";

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

std::string Mac(std::string_view key, std::string_view payload) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kDomain.data()),
                                kDomain.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof(state));
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

std::unexpected<Error> Refused(std::string_view why) {
  return Fail(Error::Code::kUnauthenticated, "downloads: download link " + std::string(why));
}

std::optional<std::string> StringOf(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

}  // namespace

std::string_view DownloadKindName(DownloadKind kind) {
  return kind == DownloadKind::kArchive ? "archive" : "file";
}

Downloads::Downloads(std::shared_ptr<Platform> platform, std::shared_ptr<Files> files,
                     DownloadOptions options)
    : platform_(std::move(platform)), files_(std::move(files)), options_(options) {}

Result<std::string> Downloads::Key() const {
  std::lock_guard lock(mu_);
  if (!key_.empty()) return key_;
  std::array<unsigned char, 32> fresh{};
  randombytes_buf(fresh.data(), fresh.size());
  const std::string fresh_hex = Hex(fresh.data(), fresh.size());
  sodium_memzero(fresh.data(), fresh.size());
  CY_TRY(std::string hex,
         store::Transact(platform_->storage(), TxKind::kWrite,
                         [&](Transaction& tx) -> Result<std::string> {
                           CY_CHECK(
                               tx.Exec("INSERT INTO server_secrets (name, value, created_at) "
                                       "VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                                       {store::Text(kKeyName), store::Text(fresh_hex),
                                        Value{platform_->clock().NowMillis()}}));
                           CY_TRY(Rows rows, tx.Query("SELECT value FROM server_secrets "
                                                      "WHERE name = ?",
                                                      {store::Text(kKeyName)}));
                           if (rows.empty()) {
                             return Fail(Error::Code::kInternal, "downloads: no signing key");
                           }
                           return rows.front().Text(0);
                         }));
  if (hex.size() < 64) return Fail(Error::Code::kDataLoss, "downloads: the signing key is short");
  key_ = std::move(hex);
  return key_;
}

Result<DownloadGrant> Downloads::Sign(std::string_view user_id, std::string_view session_id,
                                      std::string_view workspace_id, std::string_view path,
                                      DownloadKind kind) const {
  std::string norm;
  if (kind == DownloadKind::kFile || (!path.empty() && path != "/")) {
    CY_TRY(norm, NormalizePath(path));
  }
  auto checked =
      store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<void> {
        CY_CHECK(files::OwnedWorkspace(tx, user_id, workspace_id));
        if (norm.empty()) return {};
        CY_TRY(const WorkspaceItem item,
               store::items::Get(tx, workspace_id, norm, store::items::Content::kSkip));
        if (kind == DownloadKind::kFile && item.kind != ItemKind::kFile) {
          return Fail(Error::Code::kInvalidArgument,
                      "downloads: '" + norm + "' is a folder: ask for an archive");
        }
        if (kind == DownloadKind::kArchive && item.kind != ItemKind::kDir) {
          return Fail(Error::Code::kInvalidArgument,
                      "downloads: '" + norm + "' is a file: ask for a file");
        }
        return {};
      });
  if (!checked) return Fail(checked.error());
  CY_TRY(const std::string key, Key());
  DownloadGrant grant;
  grant.expires_at = platform_->clock().NowMillis() + options_.ttl_s * 1000;
  const json::object claims{{"u", user_id},
                            {"s", session_id},
                            {"w", workspace_id},
                            {"p", norm},
                            {"k", DownloadKindName(kind)},
                            {"e", grant.expires_at}};
  const std::string payload = auth::Base64UrlEncode(json::serialize(claims));
  grant.token = payload + "." + auth::Base64UrlEncode(Mac(key, payload));
  return grant;
}

Result<DownloadTicket> Downloads::Verify(std::string_view token) const {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 4096) return Refused("is invalid");
  const std::string_view payload = token.substr(0, dot);
  const auto mac = auth::Base64UrlDecode(token.substr(dot + 1));
  if (!mac || mac->size() != crypto_auth_hmacsha256_BYTES) return Refused("is invalid");
  CY_TRY(const std::string key, Key());
  const std::string expected = Mac(key, payload);
  if (sodium_memcmp(expected.data(), mac->data(), expected.size()) != 0) {
    return Refused("is invalid");
  }
  const auto text = auth::Base64UrlDecode(payload);
  if (!text) return Refused("is invalid");
  json::error_code ec;
  json::value value = json::parse(*text, ec);
  if (ec || !value.is_object()) return Refused("is invalid");
  const json::object& o = value.as_object();
  DownloadTicket t;
  auto u = StringOf(o, "u");
  auto s = StringOf(o, "s");
  auto w = StringOf(o, "w");
  auto p = StringOf(o, "p");
  auto k = StringOf(o, "k");
  const json::value* e = o.if_contains("e");
  if (!u || !s || !w || !p || !k || e == nullptr || !e->is_int64()) return Refused("is invalid");
  t.user_id = std::move(*u);
  t.session_id = std::move(*s);
  t.workspace_id = std::move(*w);
  t.path = std::move(*p);
  t.kind = *k == "archive" ? DownloadKind::kArchive : DownloadKind::kFile;
  t.expires_at = e->as_int64();
  if (platform_->clock().NowMillis() >= t.expires_at) return Refused("has expired");
  CY_TRY(const store::users::Standing standing,
         store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<store::users::Standing> {
                           auto got = store::users::GetStanding(tx, t.user_id, t.session_id);
                           if (!got && got.error().code() == Error::Code::kNotFound) {
                             return store::users::Standing{.disabled = true};
                           }
                           return got;
                         }));
  if (standing.disabled || !standing.session_live) return Refused("was revoked");
  return t;
}

}  // namespace codeyard
