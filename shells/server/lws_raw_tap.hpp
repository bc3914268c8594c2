// What a client sent, byte for byte, on the connections libwebsockets serves, for the two
// things lws 4.1.6 does not let the server see:
//
// - The request target as sent. lws percent-decodes the target while it parses it and keeps
//   only the result, and its decoding has holes: a decoded CR or LF ends its request line there
//   (`victim.txt%0a.bak` became `victim.txt`, the rest of the line spilling into the headers),
//   a raw ';' or '&' in the path splits it into fragments (`a;b.txt` came out garbled), and
//   `.`/`..` are resolved after decoding, so `%2e%2e` climbs. The server instead takes the
//   target from the recorded request line and decodes it once itself (request_target.hpp),
//   and hands lws `%01` in place of an escaped NUL, CR or LF in a request line, so that lws's
//   parse of the headers stays right and the server can answer such a request with a 400.
// - The mask bit of WebSocket frames. RFC 6455 requires every client frame to be masked; lws
//   4.1.6 accepts unmasked ones silently and has no flag to refuse them.
//
// And it keeps lws from spinning on a peer that left with output owed (see PassEnd): lws 4.1.6
// defers the close of a connection whose peer ended the stream while lws still held output
// for it, and its forced-service loop then retries the same descriptor forever, the service
// thread at 100% and no other connection served. Anybody could do that at will (a terminal
// viewer that stops reading during a flood, then closes).
//
// How: the server binary interposes recv(2), which lws calls for every read of a plain-TCP
// connection (lws_ssl_capable_read_no_ssl); on a thread that installed a RawTap (the service
// thread, the only one reading lws connections) the bytes read from a watched descriptor are
// recorded before lws parses them. Other threads (libpq, the executor) pay one thread-local
// load per recv. For HTTP, each request's head is kept until the server takes its request line
// in LWS_CALLBACK_HTTP (or HTTP_CONFIRM_UPGRADE); its body is skipped, not stored. After an
// upgrade only frame headers are followed. Memory per connection is bounded by kMaxHeadBytes.
// Service thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace codeyard::server {

class RawTap {
 public:
  // lws's header buffer is 16 KiB: a head that does not fit is refused by lws anyway, so what
  // is kept per connection never needs to be larger than this.
  static constexpr std::size_t kMaxHeadBytes = std::size_t{32} << 10;

  // Installs the tap for the calling thread (one per thread; the destructor removes it).
  RawTap();
  ~RawTap();
  RawTap(const RawTap&) = delete;
  RawTap& operator=(const RawTap&) = delete;

  // Called with the descriptor when a WebSocket client sends an unmasked frame (from inside
  // recv on the service thread: it may only mark and arm callbacks).
  void SetOnUnmaskedFrame(std::function<void(int fd)> f) { on_unmasked_ = std::move(f); }

  // A new connection on `fd` (forgets whatever an earlier connection on the same number left).
  void Watch(int fd);
  void Forget(int fd);

  // The tap of the calling thread, or nullptr.
  [[nodiscard]] static RawTap* OfThisThread();

  // Moves to the request whose head lws has just parsed on `fd`: its request line (without
  // the line end) becomes CurrentRequestLine and its head is dropped from what is kept. False
  // when `fd` is not watched or no complete head was recorded (lws having parsed one rules
  // that out, short of a disagreement between the two on where a head ends).
  bool TakeRequestLine(int fd);
  // The line TakeRequestLine took last on `fd`, or nullptr.
  [[nodiscard]] const std::string* CurrentRequestLine(int fd) const;

  // The request just taken has a body of `bytes` (its Content-Length): skipped, not kept.
  void SkipBody(int fd, uint64_t bytes);

  // `fd` is now a WebSocket: from here on only client frame headers are followed.
  void WatchFrames(int fd);

  // recv's hook for an end of stream (0) or an error on `fd`: true when lws should see it.
  // The first one, lws sees, and it starts closing. A second one means that lws deferred
  // that close to flush output the peer will never read, and reads again from inside the loop
  // in _lws_plat_service_forced_tsi, which would retry the descriptor forever: recv then shuts
  // the socket down and answers EAGAIN instead, so lws leaves the loop, finds the socket
  // writable at its next poll, fails the flush and closes the connection for good.
  bool PassEnd(int fd);

  // recv's hook: `n` bytes were read from `fd` into `data`. May rewrite an escape of a NUL,
  // CR or LF in a request line there before lws parses it (see Defuse).
  void Record(int fd, unsigned char* data, std::size_t n);

 private:
  struct Stream {
    bool frames = false;
    // HTTP: the head(s) read and not yet taken, and body bytes still to skip.
    std::string head;
    uint64_t skip = 0;
    bool overflow = false;            // more than kMaxHeadBytes arrived before a head was taken
    std::optional<std::string> line;  // the current request's line
    // WebSocket: the frame header being read (up to 14 bytes), payload bytes still to skip.
    unsigned char header[14] = {};
    std::size_t header_len = 0;
    uint64_t payload_left = 0;
    bool unmasked = false;
    bool ended = false;  // recv reported the end of the stream or an error (PassEnd)
  };
  void RecordFrames(int fd, Stream& s, const unsigned char* data, std::size_t n);
  static void Defuse(const std::string& head, std::size_t old_size, unsigned char* fresh);

  std::unordered_map<int, Stream> streams_;
  std::function<void(int)> on_unmasked_;
};

}  // namespace codeyard::server
