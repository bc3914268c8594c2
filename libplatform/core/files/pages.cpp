#include "core/files/pages.hpp"

#include <charconv>

#include "core/auth/tokens.hpp"
#include "core/files/paths.hpp"
#include "core/try.hpp"

namespace codeyard::files {
namespace {

Error BadCursor() {
  return {Error::Code::kInvalidArgument,
          "cursor is malformed: pass the next_cursor of the previous page unchanged"};
}

}  // namespace

Result<void> CheckPageLimit(const PageRequest& page) {
  if (page.limit < 1 || page.limit > kMaxPageLimit) {
    return Fail(Error::Code::kInvalidArgument, "limit must be 1-" + std::to_string(kMaxPageLimit) +
                                                   ", got " + std::to_string(page.limit));
  }
  return {};
}

std::string EncodeCursor(std::string_view tag, std::string_view key) {
  std::string raw(tag);
  raw += ':';
  raw += key;
  return auth::Base64UrlEncode(raw);
}

Result<std::optional<std::string>> DecodeCursor(std::string_view tag, std::string_view cursor) {
  if (cursor.empty()) return std::optional<std::string>();
  if (cursor.size() > 16384) return Fail(BadCursor());
  const std::optional<std::string> raw = auth::Base64UrlDecode(cursor);
  // Storage compares the key as TEXT: it must be UTF-8 without NUL, as every stored key is.
  if (!raw || raw->size() <= tag.size() || !raw->starts_with(tag) || (*raw)[tag.size()] != ':' ||
      raw->find('\0') != std::string::npos || !IsUtf8(*raw)) {
    return Fail(BadCursor());
  }
  return std::optional<std::string>(raw->substr(tag.size() + 1));
}

std::string EncodeCreatedCursor(std::string_view tag, int64_t created_at, std::string_view id) {
  return EncodeCursor(tag, std::to_string(created_at) + ":" + std::string(id));
}

Result<std::optional<CreatedKey>> DecodeCreatedCursor(std::string_view tag,
                                                      std::string_view cursor) {
  CY_TRY(const std::optional<std::string> key, DecodeCursor(tag, cursor));
  if (!key) return std::optional<CreatedKey>();
  // "<created_at>:<id>"
  const auto colon = key->find(':');
  if (colon == std::string::npos || colon == 0) return Fail(BadCursor());
  int64_t created = 0;
  const char* digits_end = key->data() + colon;
  const auto [end, ec] = std::from_chars(key->data(), digits_end, created);
  if (ec != std::errc() || end != digits_end) return Fail(BadCursor());
  return std::optional<CreatedKey>(CreatedKey{created, key->substr(colon + 1)});
}

}  // namespace codeyard::files
