// Password rules and argon2id hashing through libsodium's crypto_pwhash_str API, whose
// output ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") carries its own salt and parameters,
// so a hash made with one cost still verifies after the cost changes. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/accounts.hpp"
#include "codeyard/error.hpp"

namespace codeyard::auth {

inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// kInvalidArgument unless the password is 8 to 1024 bytes.
[[nodiscard]] Result<void> ValidatePassword(std::string_view password);

// A new salted argon2id hash. kInternal if libsodium cannot start or runs out of memory.
[[nodiscard]] Result<std::string> HashPassword(std::string_view password, const PasswordCost& cost);

// True only if `hash` is a hash of `password`; a malformed hash is simply false.
[[nodiscard]] bool VerifyPassword(std::string_view hash, std::string_view password);

// True when `hash` was made with another cost (or algorithm) than `cost`.
[[nodiscard]] bool NeedsRehash(std::string_view hash, const PasswordCost& cost);

}  // namespace codeyard::auth
