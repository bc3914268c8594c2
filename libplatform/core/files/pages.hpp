// Cursors of the paginated lists (Files::Tree, Workspaces::List): base64url of the last key a
// page returned, with a tag naming the list, so a cursor of one list is refused by another.
// The caller sees them as opaque strings. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "codeyard/files.hpp"

namespace codeyard::files {

// kInvalidArgument unless 1 <= limit <= kMaxPageLimit.
[[nodiscard]] Result<void> CheckPageLimit(const PageRequest& page);

// `key` wrapped as an opaque cursor of list `tag` ("t" tree, "w" workspaces).
[[nodiscard]] std::string EncodeCursor(std::string_view tag, std::string_view key);
// The key inside a cursor (nullopt for an empty cursor: the first page); kInvalidArgument for
// anything EncodeCursor(tag, ...) did not make.
[[nodiscard]] Result<std::optional<std::string>> DecodeCursor(std::string_view tag,
                                                              std::string_view cursor);

}  // namespace codeyard::files
