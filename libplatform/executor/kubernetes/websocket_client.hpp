// A WebSocket client (RFC 6455) for the exec API. libcurl 7.88 has no WebSocket support, so
// libcurl only connects (CURLOPT_CONNECT_ONLY: TCP and TLS with the client's certificates and
// CA) and this class sends the upgrade request and the frames with curl_easy_send/recv:
// client frames are masked, server frames may come in fragments, pings are answered with
// pongs, a Receive that waits long pings the peer to learn whether it is still there, and a
// close is answered and ends the stream. The upgrade checks
// Sec-WebSocket-Accept and that the server chose one of the offered subprotocols.
//
// Threading: one thread may Receive while another Sends (a mutex guards the connection,
// and Receive waits for the socket outside it); Interrupt from any thread wakes Receive.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard::kube {

enum class WsOpcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

struct WsFrame {
  bool fin = true;
  WsOpcode opcode = WsOpcode::kBinary;
  std::string payload;
};

// One frame on the wire; a client masks with `mask` (a server frame passes std::nullopt).
[[nodiscard]] std::string EncodeWsFrame(const WsFrame& frame,
                                        std::optional<std::array<std::uint8_t, 4>> mask);

// Decodes frames from bytes as they arrive (masked or not).
class WsFrameDecoder {
 public:
  void Feed(std::string_view data) { buffer_.append(data); }
  // The next whole frame, std::nullopt when more bytes are needed; kInvalidArgument for a
  // frame the protocol forbids (reserved bits, a control frame over 125 bytes or fragmented,
  // a length over `max_payload`).
  [[nodiscard]] Result<std::optional<WsFrame>> Next(std::size_t max_payload = 64u << 20);

 private:
  std::string buffer_;
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
[[nodiscard]] std::string WsAcceptKey(std::string_view key);

struct WsMessage {
  WsOpcode opcode = WsOpcode::kBinary;  // kText or kBinary
  std::string payload;
};

class WebSocketClient {
 public:
  struct Options {
    std::string url;  // http(s)://host:port/path?query
    std::vector<std::string> protocols;
    std::vector<std::string> headers;  // "Authorization: Bearer ..."
    std::string user_agent;            // empty: "codeyard/<version>"
    std::chrono::milliseconds connect_timeout{30000};
    // While a Receive waits and nothing came for this long, it sends a ping; when nothing
    // comes for another interval either, Receive fails with kUnavailable (a dead peer or
    // path). client-go pings every 5 s and gives up after 61 s. 0: no pings.
    std::chrono::milliseconds ping_interval{30000};
  };

  // Connects with `easy` (a CURL* with TLS and credentials already set; this takes it over)
  // and upgrades. kUnauthenticated / kPermissionDenied / kNotFound ... when the server answers
  // with a Status instead of 101 (kube_errors' mapping, `what` names the request);
  // kUnavailable when the connection fails; kDeadlineExceeded past connect_timeout.
  [[nodiscard]] static Result<std::unique_ptr<WebSocketClient>> Connect(void* easy,
                                                                        const Options& options,
                                                                        std::string_view what);

  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;
  ~WebSocketClient();

  // The subprotocol the server chose.
  [[nodiscard]] const std::string& protocol() const noexcept { return protocol_; }

  // Sends one message as a single masked frame. kDeadlineExceeded when the connection took
  // none of it within `timeout` (no timeout: wait); a frame cut off half-way leaves the
  // connection unusable for sending (kUnavailable, then and after).
  [[nodiscard]] Result<void> Send(WsOpcode opcode, std::string_view payload,
                                  std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // The next data message (fragments joined; pings answered); std::nullopt once the server
  // closed. kDeadlineExceeded when nothing came within `timeout`; kAborted after Interrupt;
  // kUnavailable when the connection broke.
  [[nodiscard]] Result<std::optional<WsMessage>> Receive(
      std::optional<std::chrono::milliseconds> timeout);

  // Sends a close frame (once; waiting at most a second for the socket) and stops sending.
  void Close(std::uint16_t code = 1000);

  // Wakes a Receive blocked on another thread; later calls fail with kAborted.
  void Interrupt();

  struct Impl;

 private:
  explicit WebSocketClient(std::unique_ptr<Impl> impl, std::string protocol);
  std::unique_ptr<Impl> impl_;
  std::string protocol_;
};

}  // namespace codeyard::kube
