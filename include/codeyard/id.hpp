// Identifiers and random bytes. Ids of users, workspaces, items and pods are UUIDv4 strings
// (lower-case, 36 characters) drawn from the operating system's CSPRNG (getrandom(2)), so
// they are unguessable and safe to put in URLs. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard {

// A new random UUIDv4, e.g. "3f2b8c1e-9a4d-4e7f-8b1a-2c3d4e5f6a7b".
[[nodiscard]] std::string NewUuid();

// True if `text` is a UUID in canonical lower-case 8-4-4-4-12 form.
[[nodiscard]] bool IsUuid(std::string_view text) noexcept;

// `count` bytes from the OS CSPRNG. Fails only if the kernel refuses (never in practice).
[[nodiscard]] Result<std::string> RandomBytes(std::size_t count);

// Lower-case hexadecimal of arbitrary bytes.
[[nodiscard]] std::string HexEncode(std::string_view bytes);

// SHA-256 of `bytes` as 64 lower-case hex characters.
[[nodiscard]] std::string Sha256Hex(std::string_view bytes);

}  // namespace codeyard
