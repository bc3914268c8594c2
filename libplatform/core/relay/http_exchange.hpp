// One HTTP/1.1 exchange over a PortStream, as a reverse proxy makes it: the request written
// with "Connection: close" (one request per connection, so the end of the response is never
// in doubt), the response read and parsed (status line, headers, a body by Content-Length,
// chunked transfer coding or end of stream), bounded in size and time. Pure over the stream;
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/port_relay.hpp"

namespace codeyard::relay {

// The request's bytes: `host` goes in the Host header; hop-by-hop headers of `request`
// (Connection, Keep-Alive, Transfer-Encoding, TE, Upgrade, Proxy-*), Host, Content-Length and
// Cookie are replaced by the relay's own.
[[nodiscard]] std::string SerializeRequest(const RelayRequest& request, std::string_view host);

// Reads and parses the response to a request of `method`. kUnavailable, saying what went
// wrong, for a malformed response, one past `max_bytes` (head and body), or none within
// `timeout` of silence.
[[nodiscard]] Result<RelayResponse> ReadResponse(PortStream& stream, std::string_view method,
                                                 uint64_t max_bytes,
                                                 std::chrono::milliseconds timeout);

// True for headers that describe one connection, not the message (RFC 9110 section 7.6.1).
[[nodiscard]] bool IsHopByHop(std::string_view lower_name);

}  // namespace codeyard::relay
