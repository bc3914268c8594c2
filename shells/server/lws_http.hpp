// The libwebsockets HTTP plumbing that does not depend on connection state: reading a
// request's method, path and query from its request line as the client sent it (recorded by
// the RawTap, decoded once by request_target.hpp: lws's own decoded copy is not used, see
// lws_raw_tap.hpp), its headers and request id out of lws's parsed header table, and writing a
// Response's status line and headers (ours, the security headers, X-Request-Id).
// Service thread only, and only while lws still holds the request's headers (from
// LWS_CALLBACK_HTTP until the transaction completes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "router.hpp"

struct lws;

namespace codeyard::server {

// Once per request, first thing in LWS_CALLBACK_HTTP and LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
// takes the request line of the head lws has just parsed from the thread's RawTap, and has the
// tap skip its body (lws's Content-Length).
void BeginRequest(lws* wsi);

// The current request's line as the server reads it.
struct RequestLine {
  std::optional<Method> method;  // nullopt for one the server does not serve (CONNECT)
  std::string path;              // percent-decoded once, without the query
  Fields query;                  // decoded name/value pairs, in order
  // Non-empty when the request line cannot be served (answer 400 and close): it is malformed,
  // holds an encoded NUL, CR or LF, or disagrees with what lws parsed.
  std::string error;
};
[[nodiscard]] RequestLine ReadRequestLine(lws* wsi);

// ReadRequestLine's method, and its path in *path (empty when the line has an error).
[[nodiscard]] std::optional<Method> RequestMethodAndPath(lws* wsi, std::string* path);

// True for 1-64 characters of [A-Za-z0-9._-].
[[nodiscard]] bool ValidRequestId(std::string_view id);

// The client's X-Request-Id when ValidRequestId accepts it, else a fresh UUID.
[[nodiscard]] std::string IncomingOrNewRequestId(lws* wsi);

// The headers handlers may read (content-type, content-length, authorization, cookie, origin,
// accept, if-match, if-none-match, user-agent), with lower-case names.
[[nodiscard]] Fields CaptureHeaders(lws* wsi);

// True if the request announced a chunked (length-less) body.
[[nodiscard]] bool HasTransferEncoding(lws* wsi);

// True when lws may hold bytes of a connection that it read but has not parsed yet (a client
// pipelined another request behind the current one). libwebsockets 4.1.6 mis-reads the body of
// a request parsed from that buffer: it feeds the request's own header bytes to HTTP_BODY and
// then loops forever, so a request with a body must be refused when its connection may hold
// such bytes. lws has no per-connection query: this asks lws_service_adjust_timeout, which is
// 0 while any connection that is neither flow-controlled nor between transactions holds
// unparsed input. Never false when the calling connection holds some; true also when another
// one does at this instant (one service pass), or when lws has other forced work pending.
[[nodiscard]] bool MayHaveBufferedInput(lws* wsi);

// Writes the status line and headers of `response` in one lws_write: Content-Type,
// Content-Length, X-Request-Id, the security headers of security_headers.hpp (the API's
// Cache-Control and Content-Security-Policy unless the response sets its own), the
// response's extra headers, and Connection: close if `close_after`. For HEAD (`head_only`)
// the length is the body's but no body may follow. `scratch` is reused buffer space.
// Returns false if the headers do not fit or the write fails (close the connection).
[[nodiscard]] bool WriteResponseHeaders(lws* wsi, const Response& response,
                                        std::string_view request_id, bool head_only,
                                        bool close_after, std::vector<unsigned char>& scratch);

}  // namespace codeyard::server
