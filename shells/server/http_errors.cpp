#include "http_errors.hpp"

#include <boost/json.hpp>

namespace codeyard::server {

// Boost.JSON copies string bytes as they are, and a message may quote a client's path that
// held "%FF"; replacing broken UTF-8 with U+FFFD keeps the body valid JSON for every parser.
std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    if (c < 0x80)
      len = 1;
    else if (c >= 0xC2 && c <= 0xDF)
      len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
      len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
      len = 4;
    bool ok = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len >= 3) {  // no overlong forms, surrogates or code points past U+10FFFF
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0) && !(c == 0xF0 && c1 < 0x90) &&
           !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

int HttpStatus(Error::Code code) noexcept {
  using C = Error::Code;
  switch (code) {
    case C::kInvalidArgument:
      return 400;
    case C::kNotFound:
      return 404;
    case C::kAlreadyExists:
    case C::kConflict:
    case C::kAborted:
      return 409;
    case C::kFailedPrecondition:
      return 412;
    case C::kPermissionDenied:
      return 403;
    case C::kUnauthenticated:
      return 401;
    case C::kResourceExhausted:
      return 429;
    case C::kUnavailable:
      return 503;
    case C::kDeadlineExceeded:
      return 504;
    case C::kUnimplemented:
      return 501;
    case C::kDataLoss:
    case C::kInternal:
      break;
  }
  return 500;
}

std::string ErrorBody(Error::Code code, std::string_view message, std::string_view request_id) {
  boost::json::object inner;
  inner["code"] = CodeName(code);
  inner["message"] = ValidUtf8(message);
  inner["request_id"] = ValidUtf8(request_id);
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

Response ErrorResponse(const Error& error, std::string_view request_id) {
  return ErrorResponse(HttpStatus(error.code()), error, request_id);
}

Response ErrorResponse(int status, const Error& error, std::string_view request_id) {
  Response out = Response::Json(status, ErrorBody(error.code(), error.message(), request_id));
  out.limit = error.limit();
  // A client told to come back later is told when: always on 429 (at least 1 s, so that a
  // well-behaved client never retries in a tight loop), on 503 when the library said.
  if (status == 429 || (status == 503 && error.retry_after_s() > 0)) {
    const int64_t wait = error.retry_after_s() > 0 ? error.retry_after_s() : 1;
    out.headers.emplace_back("Retry-After", std::to_string(wait));
  }
  // RFC 7235 §3.1: a 401 names the scheme the server accepts.
  if (status == 401) out.headers.emplace_back("WWW-Authenticate", "Bearer");
  return out;
}

}  // namespace codeyard::server
