// NormalizePath: the one place that decides which workspace paths exist. Every rule is
// checked on the caller's bytes before anything touches storage, and each rejection names
// its rule, so the IDE can show the user what to change.
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/files.hpp"
#include "core/files/paths.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxPathBytes = 4096;
// Long enough to recognize the path, short enough that a message stays one readable line.
constexpr std::size_t kQuotedBytes = 120;

}  // namespace

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

namespace {

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

std::unexpected<Error> Invalid(std::string_view what, std::string_view path,
                               std::string_view rule) {
  return Fail(Error::Code::kInvalidArgument,
              std::string(what) + " " + Quote(path) + " " + std::string(rule));
}

std::unexpected<Error> Invalid(std::string_view path, std::string_view rule) {
  return Invalid("files: path", path, rule);
}

// Decodes the code point at s[i] (s is valid UTF-8) and advances i past it.
char32_t NextCodePoint(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const std::size_t extra = b < 0x80 ? 0 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
  char32_t cp = extra == 0 ? b : b & (0x3f >> extra);
  for (std::size_t k = 1; k <= extra; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  }
  i += extra + 1;
  return cp;
}

// Characters that change how a name looks without being seen: bidirectional overrides and
// isolates (an "evil.txt" that reads as "evil\u202etxt.exe"), and zero-width characters (two
// names that look identical). Refused rather than stripped, so that what is stored is what
// the user typed.
bool IsInvisible(char32_t cp) {
  return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2060 || cp == 0xfeff || cp == 0x061c;
}

std::string CodePointName(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// The NFC form of valid UTF-8 text, through ICU. Text that is already NFC (nearly all of
// it) is answered by a quick check without converting.
Result<std::string> ToNfc(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
  if (U_FAILURE(status)) return Fail(Error::Code::kInternal, "files: ICU has no NFC data");
  std::vector<UChar> utf16(text.size() + 1);
  int32_t length = 0;
  u_strFromUTF8(utf16.data(), static_cast<int32_t>(utf16.size()), &length, text.data(),
                static_cast<int32_t>(text.size()), &status);
  if (U_FAILURE(status)) return Fail(Error::Code::kInvalidArgument, "files: not valid UTF-8");
  if (unorm2_isNormalized(nfc, utf16.data(), length, &status) && U_SUCCESS(status)) {
    return std::string(text);
  }
  status = U_ZERO_ERROR;
  // NFC of a string is at most three times its length in UTF-16 units.
  std::vector<UChar> normal(static_cast<std::size_t>(length) * 3 + 1);
  const int32_t normal_length = unorm2_normalize(nfc, utf16.data(), length, normal.data(),
                                                 static_cast<int32_t>(normal.size()), &status);
  if (U_FAILURE(status)) return Fail(Error::Code::kInternal, "files: NFC normalization failed");
  std::string out(static_cast<std::size_t>(normal_length) * 3 + 1, '\0');
  int32_t out_length = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_length, normal.data(),
              normal_length, &status);
  if (U_FAILURE(status)) return Fail(Error::Code::kInternal, "files: NFC normalization failed");
  out.resize(static_cast<std::size_t>(out_length));
  return out;
}

// The character rules every name shares; `what` starts the message ("files: path").
Result<std::string> NormalizeText(std::string_view what, std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return Invalid(what, text, "contains a NUL byte");
    if (c < 0x20 || c == 0x7f) {
      return Invalid(what, text, "contains a control character (" + Hex(c) + ")");
    }
  }
  if (!IsUtf8(text)) return Invalid(what, text, "is not valid UTF-8");
  for (std::size_t i = 0; i < text.size();) {
    const char32_t cp = NextCodePoint(text, i);
    if (cp >= 0x80 && cp <= 0x9f) {
      return Invalid(what, text, "contains a control character (" + CodePointName(cp) + ")");
    }
    if (IsInvisible(cp)) {
      return Invalid(what, text,
                     "contains an invisible or bidirectional-control character (" +
                         CodePointName(cp) + "), which can disguise a name");
    }
  }
  return ToNfc(text);
}

}  // namespace

Result<std::string> NormalizeName(std::string_view what, std::string_view text) {
  return NormalizeText(what, text);
}

Result<std::string> NormalizePath(std::string_view path) {
  if (path.empty()) return Invalid(path, "is empty");
  if (path.front() == '/') {
    return Invalid(path, "is absolute; paths are relative to the workspace");
  }
  const Result<std::string> text = NormalizeText("files: path", path);
  if (!text) return std::unexpected(text.error());

  std::string_view rest = *text;
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
