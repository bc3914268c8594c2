// NormalizePath: the one place that decides which workspace paths exist. Every rule is
// checked on the caller's bytes before anything touches storage, and each rejection names
// its rule, so the IDE can show the user what to change.
#include <cstdio>
#include <string>
#include <string_view>

#include "codeyard/files.hpp"

namespace codeyard {
namespace {

constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxPathBytes = 4096;
// Long enough to recognize the path, short enough that a message stays one readable line.
constexpr std::size_t kQuotedBytes = 120;

// Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), as PostgreSQL
// checks TEXT. Checked here so that both backends accept the same paths, and because the
// repositories' prefix queries count characters, which a stray continuation byte would skew.
bool IsUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // past U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xbf)) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string Hex(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

// The path as it can appear in a one-line message: control bytes (and, when the path is not
// UTF-8, every non-ASCII byte) escaped, long paths cut at a character boundary.
std::string Quote(std::string_view path) {
  const bool utf8 = IsUtf8(path);
  std::string out = "\"";
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (i >= kQuotedBytes && (c & 0xc0) != 0x80) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || (c >= 0x80 && !utf8)) {
      out += Hex(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::unexpected<Error> Invalid(std::string_view path, std::string_view rule) {
  return Fail(Error::Code::kInvalidArgument,
              "files: path " + Quote(path) + " " + std::string(rule));
}

}  // namespace

Result<std::string> NormalizePath(std::string_view path) {
  if (path.empty()) return Invalid(path, "is empty");
  if (path.front() == '/') {
    return Invalid(path, "is absolute; paths are relative to the workspace");
  }
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return Invalid(path, "contains a NUL byte");
    if (c < 0x20 || c == 0x7f) {
      return Invalid(path, "contains a control character (" + Hex(c) + ")");
    }
  }
  if (!IsUtf8(path)) return Invalid(path, "is not valid UTF-8");

  std::string_view rest = path;
  if (rest.starts_with("./")) rest.remove_prefix(2);
  std::string out;
  out.reserve(rest.size());
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view name = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (name.empty()) continue;  // "a//b" and a trailing '/'
    if (name == ".") return Invalid(path, "has a \".\" component");
    if (name == "..") {
      return Invalid(path, "has a \"..\" component; paths cannot leave the workspace");
    }
    if (name.size() > kMaxNameBytes) {
      return Invalid(path, "has a name of " + std::to_string(name.size()) +
                               " bytes; the limit is " + std::to_string(kMaxNameBytes));
    }
    if (!out.empty()) out += '/';
    out += name;
  }
  if (out.empty()) return Invalid(path, "names no file or folder");
  if (out.size() > kMaxPathBytes) {
    return Invalid(path, "is " + std::to_string(out.size()) + " bytes; the limit is " +
                             std::to_string(kMaxPathBytes));
  }
  return out;
}

}  // namespace codeyard
