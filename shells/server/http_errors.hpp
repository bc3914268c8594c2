// How library errors look over HTTP. Every error response carries the same JSON envelope
//   {"error":{"code":"not_found","message":"...","request_id":"..."}}
// built with Boost.JSON so that any message text stays valid JSON. "code" is always one of
// codeyard::CodeName's values, also for errors the server raises itself (405 is
// invalid_argument, 413 is resource_exhausted, 503 while stopping is unavailable), so clients
// handle one closed set; the HTTP status says the rest. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "router.hpp"

namespace codeyard::server {

// invalid_argument 400, not_found 404, already_exists 409, conflict 409,
// failed_precondition 412, permission_denied 403, unauthenticated 401,
// resource_exhausted 429, aborted 409, unavailable 503, deadline_exceeded 504,
// unimplemented 501, data_loss 500, internal 500.
[[nodiscard]] int HttpStatus(Error::Code code) noexcept;

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, for text
// that came from a client (a path with "%FF") and goes into JSON.
[[nodiscard]] std::string ValidUtf8(std::string_view text);

// The envelope as text.
[[nodiscard]] std::string ErrorBody(Error::Code code, std::string_view message,
                                    std::string_view request_id);

// A JSON response with the envelope and HttpStatus(error.code()).
[[nodiscard]] Response ErrorResponse(const Error& error, std::string_view request_id);

// The same with an explicit status, for transport-level errors (405, 413, 411). A 429 always
// carries Retry-After (error.retry_after_s(), at least 1), a 503 when the error names a wait;
// Response::limit is error.limit().
[[nodiscard]] Response ErrorResponse(int status, const Error& error, std::string_view request_id);

}  // namespace codeyard::server
