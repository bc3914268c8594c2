#include "core/auth/passwords.hpp"

#include <sodium.h>

#include <array>

namespace codeyard::auth {
namespace {

// crypto_pwhash_str uses the default algorithm, argon2id since libsodium 1.0.15.
static_assert(crypto_pwhash_ALG_DEFAULT == crypto_pwhash_ALG_ARGON2ID13);
static_assert(PasswordCost{}.opslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(PasswordCost{}.memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(kPasswordCostMinimum.opslimit == crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(kPasswordCostMinimum.memlimit == crypto_pwhash_argon2id_MEMLIMIT_MIN);

// sodium_init() picks the fastest implementations and seeds its RNG; it must run before any
// other libsodium call, and running it once per process is enough.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// crypto_pwhash_str_* read a NUL-terminated string of at most STRBYTES.
bool CopyHash(std::string_view hash, std::array<char, crypto_pwhash_STRBYTES>& out) {
  if (hash.size() >= out.size()) return false;
  out.fill('\0');
  hash.copy(out.data(), hash.size());
  return true;
}

}  // namespace

Result<void> ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return Fail(
        Error::Code::kInvalidArgument,
        "accounts: password must be 8 to 1024 bytes long, got " + std::to_string(password.size()));
  }
  return {};
}

Result<std::string> HashPassword(std::string_view password, const PasswordCost& cost) {
  if (!SodiumReady()) return Fail(Error::Code::kInternal, "accounts: libsodium failed to start");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), cost.opslimit,
                        cost.memlimit) != 0) {
    return Fail(Error::Code::kInternal,
                "accounts: password hashing failed (out of memory for memlimit " +
                    std::to_string(cost.memlimit) + ")");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!SodiumReady()) return false;
  std::array<char, crypto_pwhash_STRBYTES> stored{};
  if (!CopyHash(hash, stored)) return false;
  return crypto_pwhash_str_verify(stored.data(), password.data(), password.size()) == 0;
}

bool NeedsRehash(std::string_view hash, const PasswordCost& cost) {
  if (!SodiumReady()) return false;
  std::array<char, crypto_pwhash_STRBYTES> stored{};
  if (!CopyHash(hash, stored)) return false;
  return crypto_pwhash_str_needs_rehash(stored.data(), cost.opslimit, cost.memlimit) != 0;
}

}  // namespace codeyard::auth
