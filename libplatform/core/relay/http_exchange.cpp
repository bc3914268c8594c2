#include "core/relay/http_exchange.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

namespace codeyard::relay {
namespace {

constexpr std::size_t kReadChunk = std::size_t{64} << 10;
constexpr std::size_t kMaxHead = std::size_t{64} << 10;

Error Bad(std::string_view what) {
  return Error(Error::Code::kUnavailable, "preview: the program's answer " + std::string(what));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// Bytes read from the stream, kept until parsed.
class Input {
 public:
  Input(PortStream& stream, uint64_t max_bytes, std::chrono::milliseconds timeout)
      : stream_(stream), max_bytes_(max_bytes), timeout_(timeout) {}

  // Reads more; false at end of stream.
  Result<bool> More() {
    auto got = stream_.Read(kReadChunk, timeout_);
    if (!got) {
      if (got.error().code() == Error::Code::kDeadlineExceeded) {
        return std::unexpected(
            Bad("stopped coming (no bytes for " + std::to_string(timeout_.count() / 1000) + " s)"));
      }
      return std::unexpected(got.error());
    }
    if (got->empty()) return false;
    total_ += got->size();
    if (total_ > max_bytes_) {
      return std::unexpected(Bad("is larger than relay.max_response_bytes (" +
                                 std::to_string(max_bytes_) + " bytes)"));
    }
    buffer_ += *got;
    return true;
  }

  std::string& buffer() { return buffer_; }

 private:
  PortStream& stream_;
  uint64_t max_bytes_;
  std::chrono::milliseconds timeout_;
  uint64_t total_ = 0;
  std::string buffer_;
};

std::optional<uint64_t> ParseNumber(std::string_view text, int base) {
  uint64_t value = 0;
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Decodes a chunked body from `in` (starting at `at`) into `body`.
Result<void> ReadChunked(Input& in, std::size_t at, std::string& body) {
  std::string& buf = in.buffer();
  while (true) {
    std::size_t eol = buf.find("\r\n", at);
    while (eol == std::string::npos) {
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) return std::unexpected(Bad("ended inside a chunk size"));
      eol = buf.find("\r\n", at);
    }
    std::string_view size_line(buf.data() + at, eol - at);
    size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions
    const auto size = ParseNumber(size_line, 16);
    if (!size) return std::unexpected(Bad("has a malformed chunk size"));
    at = eol + 2;
    if (*size == 0) return {};  // trailers, if any, are dropped
    while (buf.size() < at + *size + 2) {
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) return std::unexpected(Bad("ended inside a chunk"));
    }
    body.append(buf, at, *size);
    at += *size + 2;
  }
}

}  // namespace

bool IsHopByHop(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 9> kHop = {"connection",
                                                           "keep-alive",
                                                           "proxy-authenticate",
                                                           "proxy-authorization",
                                                           "proxy-connection",
                                                           "te",
                                                           "trailer",
                                                           "transfer-encoding",
                                                           "upgrade"};
  return std::find(kHop.begin(), kHop.end(), lower_name) != kHop.end();
}

std::string SerializeRequest(const RelayRequest& request, std::string_view host) {
  std::string out;
  out.reserve(256 + request.body.size());
  out += request.method;
  out += ' ';
  out += request.target.empty() ? "/" : request.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nConnection: close\r\n";
  for (const auto& [name, value] : request.headers) {
    const std::string lower = Lower(name);
    if (IsHopByHop(lower) || lower == "host" || lower == "content-length" || lower == "cookie" ||
        lower == "authorization") {
      continue;
    }
    // A header is one line: a value with CR or LF would smuggle another one in.
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

Result<RelayResponse> ReadResponse(PortStream& stream, std::string_view method, uint64_t max_bytes,
                                   std::chrono::milliseconds timeout) {
  Input in(stream, max_bytes, timeout);
  std::string& buf = in.buffer();
  std::size_t head_end = std::string::npos;
  RelayResponse response;
  // Interim 1xx responses (100 Continue) come before the real one: skip them.
  while (true) {
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHead) return std::unexpected(Bad("has a header over 64 KiB"));
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) {
        return std::unexpected(Bad(buf.empty()
                                       ? "was empty: the connection closed without a response"
                                       : "ended inside its header"));
      }
    }
    const std::string_view head(buf.data(), head_end);
    const std::size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
      return std::unexpected(Bad("is not HTTP/1.x"));
    }
    const auto status = ParseNumber(status_line.substr(9, 3), 10);
    if (!status || *status < 100 || *status > 599) {
      return std::unexpected(Bad("has a malformed status line"));
    }
    response.status = static_cast<int>(*status);
    response.headers.clear();
    if (line_end != std::string_view::npos) {
      std::string_view rest = head.substr(line_end + 2);
      while (!rest.empty()) {
        const std::size_t eol = rest.find("\r\n");
        const std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
          return std::unexpected(Bad("has a malformed header line"));
        }
        response.headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                      std::string(Trim(line.substr(colon + 1))));
      }
    }
    if (response.status >= 200 || response.status == 101) break;
    buf.erase(0, head_end + 4);
  }
  std::optional<uint64_t> length;
  bool chunked = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "content-length") {
      length = ParseNumber(value, 10);
      if (!length) return std::unexpected(Bad("has a malformed Content-Length"));
    } else if (name == "transfer-encoding") {
      chunked = Lower(value).find("chunked") != std::string::npos;
    }
  }
  std::erase_if(response.headers, [](const auto& field) {
    return IsHopByHop(field.first) || field.first == "content-length";
  });
  const std::size_t body_at = head_end + 4;
  const bool no_body =
      method == "HEAD" || response.status == 204 || response.status == 304 || response.status < 200;
  if (no_body) return response;
  if (chunked) {
    auto decoded = ReadChunked(in, body_at, response.body);
    if (!decoded) return std::unexpected(decoded.error());
    return response;
  }
  if (length) {
    if (*length > max_bytes) {
      return std::unexpected(
          Bad("is larger than relay.max_response_bytes (" + std::to_string(max_bytes) + " bytes)"));
    }
    while (buf.size() < body_at + *length) {
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) return std::unexpected(Bad("ended before its Content-Length"));
    }
    response.body.assign(buf, body_at, *length);
    return response;
  }
  while (true) {  // no length: the body runs to the end of the stream
    auto more = in.More();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
  }
  response.body.assign(buf, body_at);
  return response;
}

}  // namespace codeyard::relay
