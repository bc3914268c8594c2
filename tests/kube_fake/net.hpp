// The fake API server's transport: one accepted connection (plain TCP or TLS through
// OpenSSL), HTTP/1.1 request parsing, responses (whole or chunked) and RFC 6455 WebSocket
// framing, plus the self-signed certificate the fake makes at start. Test code only.
// Threading: a Conn belongs to the one thread serving its connection; nothing here is shared.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codeyard::kubefake {

class Conn {
 public:
  Conn(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  // Completes the TLS handshake (no-op for plain TCP).
  bool Handshake();
  // Reads at least one more byte into buffer(); false on EOF or error. `timeout` bounds the
  // wait; on timeout it returns false and sets timed_out().
  bool Fill(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  [[nodiscard]] bool timed_out() const { return timed_out_; }
  // Bytes read but not consumed, and whether more are ready without blocking.
  std::string& buffer() { return buffer_; }
  [[nodiscard]] bool Pending() const;
  bool WriteAll(std::string_view data);
  // True when the peer closed (checked without blocking, for idle streams).
  bool PeerClosed();

 private:
  int fd_;
  SSL* ssl_;
  std::string buffer_;
  bool timed_out_ = false;
};

struct Request {
  std::string method;
  std::string target;  // raw path?query
  std::string path;    // decoded path
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  [[nodiscard]] std::string Header(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> Param(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> Params(const std::string& name) const;
  // Kubernetes' bool parsing: absent is false; "0" and "false" (any case) are false; else true.
  [[nodiscard]] bool BoolParam(const std::string& name) const;
};

// Reads one request; nullopt on EOF or a malformed request.
std::optional<Request> ReadRequest(Conn& conn);

std::string PercentDecode(std::string_view in, bool plus_is_space);

struct Response {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

bool WriteResponse(Conn& conn, const Response& response);
// Starts a chunked response; each WriteChunk sends one chunk, EndChunks the last one.
bool StartChunked(Conn& conn, int code, const std::string& content_type);
bool WriteChunk(Conn& conn, std::string_view data);
bool EndChunks(Conn& conn);

// WebSocket server side.
std::string WebSocketAccept(const std::string& key);
struct Frame {
  int opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong
  std::string payload;
};
// Parses one complete frame from the front of `buffer` (client frames are masked) and removes
// it; nullopt when the buffer holds no complete frame yet. Continuation frames are joined.
std::optional<Frame> TakeFrame(std::string& buffer, bool* bad);
std::string EncodeFrame(int opcode, std::string_view payload);

// TLS: a self-signed certificate for 127.0.0.1 and localhost, made at start.
struct Tls {
  SSL_CTX* ctx = nullptr;
  std::string cert_pem;
};
std::optional<Tls> MakeTls();

std::string Base64(std::string_view in);
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace codeyard::kubefake
