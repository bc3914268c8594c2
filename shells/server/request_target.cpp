#include "request_target.hpp"

namespace codeyard::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// NUL, CR and LF: lws's parser treats a decoded CR or LF as the end of the request line.
std::unexpected<Error> RefuseBreak(std::string_view where, char c) {
  const char* name = c == '\0' ? "%00 (NUL)" : c == '\r' ? "%0D (CR)" : "%0A (LF)";
  return Fail(Error::Code::kInvalidArgument, "the URL's " + std::string(where) + " contains " +
                                                 name + ", which no path or query value may hold");
}

Result<void> CheckNoBreaks(std::string_view text, std::string_view where) {
  for (const char c : text) {
    if (c == '\0' || c == '\r' || c == '\n') return RefuseBreak(where, c);
  }
  return {};
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const bool room = i + 2 < text.size();
      const int hi = room ? HexValue(text[i + 1]) : -1;
      const int lo = room ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Fail(Error::Code::kInvalidArgument,
                    "the URL has a '%' not followed by two hexadecimal digits");
      }
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<RequestTarget> ParseRequestLine(std::string_view line) {
  const auto malformed = [] {
    return Fail(Error::Code::kInvalidArgument,
                "malformed request line: expected METHOD /path HTTP/1.1 (is a space or a line "
                "break in the URL not percent-encoded?)");
  };
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return malformed();
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return malformed();
  }
  RequestTarget out;
  out.method = std::string(line.substr(0, sp1));
  for (const char c : out.method) {
    if (!IsTokenChar(c)) return malformed();
  }
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return malformed();
  if (target.empty() || target.front() != '/') return malformed();
  for (const char c : target) {
    // Raw control bytes never belong in a request target (RFC 3986); lws would mis-parse them.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return malformed();
  }

  const std::size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  auto path = PercentDecode(raw_path, false);
  if (!path) return Fail(path.error());
  if (auto ok = CheckNoBreaks(*path, "path"); !ok) return Fail(ok.error());
  out.path = std::move(*path);

  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      if (out.query.size() == kMaxQueryPairs) {
        return Fail(Error::Code::kInvalidArgument,
                    "the URL has more than " + std::to_string(kMaxQueryPairs) + " query arguments");
      }
      const std::size_t eq = pair.find('=');
      auto name = PercentDecode(pair.substr(0, eq), true);
      if (!name) return Fail(name.error());
      auto value = eq == std::string_view::npos ? Result<std::string>(std::string())
                                                : PercentDecode(pair.substr(eq + 1), true);
      if (!value) return Fail(value.error());
      if (auto ok = CheckNoBreaks(*name, "query"); !ok) return Fail(ok.error());
      if (auto ok = CheckNoBreaks(*value, "query"); !ok) return Fail(ok.error());
      out.query.emplace_back(std::move(*name), std::move(*value));
    }
  }
  return out;
}

std::string LoggedPath(std::string_view path) {
  for (const std::string_view prefix :
       {std::string_view("/api/v1/downloads/"), std::string_view("/api/v1/previews/")}) {
    if (!path.starts_with(prefix)) continue;
    const std::string_view rest = path.substr(prefix.size());
    const std::size_t slash = rest.find('/');
    std::string out(prefix);
    out += "<redacted>";
    if (slash != std::string_view::npos) out += rest.substr(slash);
    return out;
  }
  return std::string(path);
}

}  // namespace codeyard::server
