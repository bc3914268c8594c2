#include "core/relay/http_exchange.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include "core/try.hpp"

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
    // A body's reads find the buffer passed on and cleared: taken, not copied.
    if (buffer_.empty()) {
      buffer_ = std::move(*got);
    } else {
      buffer_ += *got;
    }
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

std::string SerializeRequest(const RelayRequest& request, std::string_view host, bool upgrade) {
  std::string out;
  out.reserve(256 + request.body.size());
  out += request.method;
  out += ' ';
  out += request.target.empty() ? "/" : request.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out +=
      upgrade ? "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" : "\r\nConnection: close\r\n";
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
  if (request.read_body) {
    out += "Content-Length: " + std::to_string(request.body_length) + "\r\n";
  } else if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
             request.method == "PATCH") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

Result<ResponseHead> ReadHead(PortStream& stream, std::string_view method, uint64_t max_bytes,
                              std::chrono::milliseconds timeout) {
  // The head is bounded by kMaxHead; the body by max_bytes, in PumpBody.
  Input in(stream, std::numeric_limits<uint64_t>::max(), timeout);
  std::string& buf = in.buffer();
  std::size_t head_end = std::string::npos;
  ResponseHead head;
  RelayResponse& response = head.response;
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
    const std::string_view head_text(buf.data(), head_end);
    const std::size_t line_end = head_text.find("\r\n");
    const std::string_view status_line = head_text.substr(0, line_end);
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
      std::string_view rest = head_text.substr(line_end + 2);
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
  head.rest.assign(buf, head_end + 4);
  const bool no_body =
      method == "HEAD" || response.status == 204 || response.status == 304 || response.status < 200;
  if (no_body) {
    head.framing = ResponseHead::Framing::kNone;
  } else if (chunked) {
    head.framing = ResponseHead::Framing::kChunked;
  } else if (length) {
    if (*length > max_bytes) {
      return std::unexpected(
          Bad("is larger than relay.max_response_bytes (" + std::to_string(max_bytes) + " bytes)"));
    }
    head.framing = ResponseHead::Framing::kLength;
    head.length = *length;
  } else {
    head.framing = ResponseHead::Framing::kToEnd;  // no length: the body runs to the end
  }
  return head;
}

Result<void> PumpBody(PortStream& stream, ResponseHead& head, uint64_t max_bytes,
                      std::chrono::milliseconds timeout, const BodySink& sink) {
  using Framing = ResponseHead::Framing;
  const auto give = [&sink](std::string_view bytes) -> Result<void> {
    if (bytes.empty() || sink(bytes)) return {};
    return Fail(Error::Code::kAborted, "preview: the client went away");
  };
  if (head.framing == Framing::kNone) return {};
  Input in(stream, max_bytes, timeout);  // counts what is read past the head
  std::string& buf = in.buffer();
  buf = std::move(head.rest);
  if (head.framing == Framing::kLength) {
    uint64_t left = head.length;
    while (true) {
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(left, buf.size()));
      CY_CHECK(give(std::string_view(buf).substr(0, n)));
      left -= n;
      buf.clear();  // bytes past the length are not the program's answer
      if (left == 0) return {};
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) return std::unexpected(Bad("ended before its Content-Length"));
    }
  }
  if (head.framing == Framing::kToEnd) {
    if (buf.size() > max_bytes) {
      return std::unexpected(
          Bad("is larger than relay.max_response_bytes (" + std::to_string(max_bytes) + " bytes)"));
    }
    while (true) {
      CY_CHECK(give(buf));
      buf.clear();
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) return {};
    }
  }
  // Chunked: each chunk is passed on as it arrives, in as many pieces as it is read in.
  uint64_t decoded = 0;
  std::size_t at = 0;
  const auto need = [&in, &buf](std::size_t size, std::string_view what) -> Result<void> {
    while (buf.size() < size) {
      auto more = in.More();
      if (!more) return std::unexpected(more.error());
      if (!*more) return std::unexpected(Bad(what));
    }
    return {};
  };
  while (true) {
    std::size_t eol = buf.find("\r\n", at);
    while (eol == std::string::npos) {
      if (buf.size() - at > 1024) return std::unexpected(Bad("has a malformed chunk size"));
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
    decoded += *size;
    if (decoded > max_bytes) {
      return std::unexpected(
          Bad("is larger than relay.max_response_bytes (" + std::to_string(max_bytes) + " bytes)"));
    }
    uint64_t left = *size;
    while (left > 0) {
      if (at == buf.size()) {
        buf.clear();
        at = 0;
        CY_CHECK(need(1, "ended inside a chunk"));
      }
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(left, buf.size() - at));
      CY_CHECK(give(std::string_view(buf).substr(at, n)));
      at += n;
      left -= n;
    }
    CY_CHECK(need(at + 2, "ended inside a chunk"));
    at += 2;  // the chunk's CRLF
    buf.erase(0, at);
    at = 0;
  }
}

Result<RelayResponse> ReadResponse(PortStream& stream, std::string_view method, uint64_t max_bytes,
                                   std::chrono::milliseconds timeout) {
  auto head = ReadHead(stream, method, max_bytes, timeout);
  if (!head) return std::unexpected(head.error());
  RelayResponse response = std::move(head->response);
  auto pumped = PumpBody(stream, *head, max_bytes, timeout, [&response](std::string_view bytes) {
    response.body.append(bytes);
    return true;
  });
  if (!pumped) return std::unexpected(pumped.error());
  return response;
}

}  // namespace codeyard::relay
