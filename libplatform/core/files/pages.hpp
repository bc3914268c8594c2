// Cursors of the paginated lists (Files::Tree, Workspaces::List, Jobs::List): base64url of the last
// key a page returned, with a tag naming the list, so a cursor of one list is refused by another.
// The caller sees them as opaque strings. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// The key of a list ordered by creation time, then id (workspaces, jobs).
struct CreatedKey {
  int64_t created_at = 0;
  std::string id;
};
[[nodiscard]] std::string EncodeCreatedCursor(std::string_view tag, int64_t created_at,
                                              std::string_view id);
[[nodiscard]] Result<std::optional<CreatedKey>> DecodeCreatedCursor(std::string_view tag,
                                                                    std::string_view cursor);

// A page of `rows` read with one row more than `limit` asked for: that row, when there,
// says another page follows, whose cursor `cursor_of` makes from the page's last item.
template <class T, class CursorOf>
[[nodiscard]] Page<T> PageOfRows(std::vector<T> rows, int64_t limit, CursorOf cursor_of) {
  Page<T> out;
  const bool more = static_cast<int64_t>(rows.size()) > limit;
  if (more) rows.resize(static_cast<std::size_t>(limit));
  out.items = std::move(rows);
  if (more) out.next_cursor = cursor_of(out.items.back());
  return out;
}

}  // namespace codeyard::files
