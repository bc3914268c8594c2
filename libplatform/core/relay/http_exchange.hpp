// One HTTP/1.1 exchange over a PortStream, as a reverse proxy makes it: the request written
// with "Connection: close" (one request per connection, so the end of the response is never
// in doubt), the response's head read and parsed (status line, headers, how the body is
// framed: Content-Length, chunked transfer coding or end of stream), then its body passed on
// piece by piece as it comes (decoded from chunked), bounded in size and time. Pure over the
// stream; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "codeyard/port_relay.hpp"

namespace codeyard::relay {

// The request's bytes: `host` goes in the Host header; hop-by-hop headers of `request`
// (Connection, Keep-Alive, Transfer-Encoding, TE, Upgrade, Proxy-*), Host, Content-Length and
// Cookie are replaced by the relay's own. With `upgrade` it is a WebSocket upgrade (Upgrade:
// websocket, Connection: Upgrade) instead, the connection then staying open both ways.
[[nodiscard]] std::string SerializeRequest(const RelayRequest& request, std::string_view host,
                                           bool upgrade = false);

// A response's head, and how to read the body that follows it.
struct ResponseHead {
  RelayResponse response;  // status and headers (hop-by-hop ones and Content-Length removed)
  enum class Framing { kNone, kLength, kChunked, kToEnd };
  Framing framing = Framing::kNone;
  uint64_t length = 0;  // kLength: the body's size
  std::string rest;     // bytes read past the head: the body's start
};

// Reads and parses the head of the response to a request of `method` (1xx interim answers
// skipped). kUnavailable, saying what went wrong, for a malformed head, a Content-Length past
// `max_bytes`, or nothing within `timeout` of silence.
[[nodiscard]] Result<ResponseHead> ReadHead(PortStream& stream, std::string_view method,
                                            uint64_t max_bytes, std::chrono::milliseconds timeout);

// Passes the body after `head` to `sink` in pieces as they come (decoded from chunked);
// `sink` returns false to stop (kAborted). kUnavailable for a malformed or short body, more
// than `max_bytes` of body, or `timeout` of silence.
using BodySink = std::function<bool(std::string_view)>;
[[nodiscard]] Result<void> PumpBody(PortStream& stream, ResponseHead& head, uint64_t max_bytes,
                                    std::chrono::milliseconds timeout, const BodySink& sink);

// ReadHead and PumpBody into one whole response.
[[nodiscard]] Result<RelayResponse> ReadResponse(PortStream& stream, std::string_view method,
                                                 uint64_t max_bytes,
                                                 std::chrono::milliseconds timeout);

// Whether a program's 101 (its headers as ReadHead leaves them) switched to the WebSocket the
// browser asked for (relay_upgrade.cpp): its Sec-WebSocket-Accept proves it read `key`
// (RFC 6455 4.2.2), and the subprotocol it picked, if any, is one of `offered` (the browser's
// Sec-WebSocket-Protocol, comma-separated). kUnavailable saying which check failed.
[[nodiscard]] Result<void> CheckSwitch(const HeaderFields& headers, std::string_view key,
                                       std::string_view offered);

// True for headers that describe one connection, not the message (RFC 9110 section 7.6.1).
[[nodiscard]] bool IsHopByHop(std::string_view lower_name);

}  // namespace codeyard::relay
