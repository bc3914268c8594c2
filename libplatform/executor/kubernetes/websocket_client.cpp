#include "executor/kubernetes/websocket_client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_http_impl.hpp"

namespace codeyard::kube {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// The upgrade answer's headers (and a refusal's Status) must fit in this.
constexpr std::size_t kMaxHandshake = std::size_t{64} * 1024;
// How long a close frame may wait for room in the socket.
constexpr std::chrono::seconds kCloseTimeout{1};

std::string Base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimView(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string EncodeWsFrame(const WsFrame& frame, std::optional<std::array<std::uint8_t, 4>> mask) {
  std::string out;
  const std::size_t size = frame.payload.size();
  out.push_back(
      static_cast<char>((frame.fin ? 0x80 : 0) | static_cast<std::uint8_t>(frame.opcode)));
  const std::uint8_t mask_bit = mask ? 0x80 : 0;
  if (size < 126) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
    }
  }
  if (!mask) return out + frame.payload;
  out.append(reinterpret_cast<const char*>(mask->data()), 4);
  const std::size_t start = out.size();
  out += frame.payload;
  for (std::size_t i = 0; i < size; ++i) {
    out[start + i] = static_cast<char>(static_cast<std::uint8_t>(out[start + i]) ^ (*mask)[i % 4]);
  }
  return out;
}

Result<std::optional<WsFrame>> WsFrameDecoder::Next(std::size_t max_payload) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(buffer_[i]); };
  if (buffer_.size() < 2) return std::optional<WsFrame>();
  const std::uint8_t first = byte(0);
  const std::uint8_t second = byte(1);
  if ((first & 0x70) != 0) {
    return Fail(Error::Code::kInvalidArgument, "websocket: a frame sets reserved bits");
  }
  WsFrame frame;
  frame.fin = (first & 0x80) != 0;
  frame.opcode = static_cast<WsOpcode>(first & 0x0F);
  const bool control = (first & 0x08) != 0;
  std::size_t header = 2;
  std::uint64_t size = second & 0x7F;
  if (size == 126) {
    if (buffer_.size() < 4) return std::optional<WsFrame>();
    size = (static_cast<std::uint64_t>(byte(2)) << 8) | byte(3);
    header = 4;
  } else if (size == 127) {
    if (buffer_.size() < 10) return std::optional<WsFrame>();
    size = 0;
    for (std::size_t i = 2; i < 10; ++i) size = (size << 8) | byte(i);
    header = 10;
  }
  if (control && (size > 125 || !frame.fin)) {
    return Fail(Error::Code::kInvalidArgument,
                "websocket: a control frame is fragmented or longer than 125 bytes");
  }
  if (size > max_payload) {
    return Fail(Error::Code::kInvalidArgument,
                "websocket: a frame of " + std::to_string(size) + " bytes is over the limit");
  }
  const bool masked = (second & 0x80) != 0;
  const std::size_t mask_at = header;
  if (masked) header += 4;
  if (buffer_.size() < header + size) return std::optional<WsFrame>();
  frame.payload = buffer_.substr(header, size);
  if (masked) {
    for (std::size_t i = 0; i < size; ++i) {
      frame.payload[i] =
          static_cast<char>(static_cast<std::uint8_t>(frame.payload[i]) ^ byte(mask_at + i % 4));
    }
  }
  buffer_.erase(0, header + size);
  return std::optional<WsFrame>(std::move(frame));
}

std::string WsAcceptKey(std::string_view key) {
  const std::string text = std::string(key) + std::string(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Base64(digest, sizeof digest);
}

struct WebSocketClient::Impl {
  CURL* easy = nullptr;
  curl_socket_t socket = CURL_SOCKET_BAD;
  int wake_fd = -1;
  std::atomic<bool> interrupted{false};
  std::mutex io_mutex;      // each curl_easy_send / curl_easy_recv
  std::mutex send_mutex;    // a whole frame, so two senders never interleave
  bool close_sent = false;  // guarded by send_mutex
  bool broken = false;      // guarded by send_mutex
  // Receive's state: one reader at a time.
  WsFrameDecoder decoder;
  std::string fragments;
  WsOpcode fragment_opcode = WsOpcode::kBinary;
  bool closed = false;
  // Keepalive (Receive's thread): any bytes from the peer count as hearing from it.
  std::chrono::milliseconds ping_interval{0};
  Clock::time_point last_heard = Clock::now();
  Clock::time_point ping_sent_at{};
  bool ping_outstanding = false;

  ~Impl() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  // Waits until the socket is readable/writable, Interrupt or the deadline. false: timed out.
  Result<bool> Wait(short events, std::optional<Clock::time_point> deadline) {
    pollfd fds[2] = {{static_cast<int>(socket), events, 0}, {wake_fd, POLLIN, 0}};
    int timeout_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
    }
    const int n = ::poll(fds, 2, timeout_ms);
    if (interrupted.load()) return Fail(Error::Code::kAborted, "websocket: interrupted");
    if (n < 0 && errno != EINTR) {
      return Fail(Error::Code::kUnavailable, "websocket: poll failed");
    }
    return n > 0;
  }

  // Sends all of `data`; `*sent_any` tells whether any byte went out before a failure.
  Result<void> SendRaw(std::string_view data, std::optional<Clock::time_point> deadline,
                       bool* sent_any = nullptr) {
    while (!data.empty()) {
      if (interrupted.load()) return Fail(Error::Code::kAborted, "websocket: interrupted");
      std::size_t sent = 0;
      CURLcode code;
      {
        std::lock_guard lock(io_mutex);
        code = curl_easy_send(easy, data.data(), data.size(), &sent);
      }
      if (code == CURLE_AGAIN) {
        auto ready = Wait(POLLOUT, deadline);
        if (!ready) return Fail(ready.error());
        if (!*ready) return Fail(Error::Code::kDeadlineExceeded, "websocket: send timed out");
        continue;
      }
      if (code != CURLE_OK) {
        return Fail(Error::Code::kUnavailable,
                    std::string("websocket: send failed: ") + curl_easy_strerror(code));
      }
      data.remove_prefix(sent);
      if (sent > 0 && sent_any != nullptr) *sent_any = true;
    }
    return {};
  }

  // Some bytes into the decoder; false when the deadline passed first. Ends with
  // kUnavailable "closed" when the peer closed the connection.
  Result<bool> ReceiveSome(std::optional<Clock::time_point> deadline, bool* eof) {
    char buffer[16384];
    for (;;) {
      if (interrupted.load()) return Fail(Error::Code::kAborted, "websocket: interrupted");
      std::size_t got = 0;
      CURLcode code;
      {
        std::lock_guard lock(io_mutex);
        code = curl_easy_recv(easy, buffer, sizeof buffer, &got);
      }
      if (code == CURLE_OK) {
        if (got == 0) {
          *eof = true;
          return true;
        }
        decoder.Feed(std::string_view(buffer, got));
        return true;
      }
      if (code != CURLE_AGAIN) {
        return Fail(Error::Code::kUnavailable,
                    std::string("websocket: receive failed: ") + curl_easy_strerror(code));
      }
      auto ready = Wait(POLLIN, deadline);
      if (!ready) return Fail(ready.error());
      if (!*ready) return false;
    }
  }

  Result<void> SendFrame(WsOpcode opcode, std::string_view payload,
                         std::optional<Clock::time_point> deadline = std::nullopt) {
    std::array<std::uint8_t, 4> mask{};
    RAND_bytes(mask.data(), 4);
    WsFrame frame{true, opcode, std::string(payload)};
    std::lock_guard lock(send_mutex);
    if (broken) {
      return Fail(Error::Code::kUnavailable, "websocket: an earlier frame was cut off");
    }
    if (close_sent) return Fail(Error::Code::kAborted, "websocket: already closed");
    if (opcode == WsOpcode::kClose) close_sent = true;
    bool sent_any = false;
    auto sent = SendRaw(EncodeWsFrame(frame, mask), deadline, &sent_any);
    if (!sent && sent_any) {
      // Half a frame is on the wire: nothing more can be framed after it.
      broken = true;
      if (sent.error().code() == Error::Code::kDeadlineExceeded) {
        return Fail(Error::Code::kUnavailable,
                    "websocket: a frame was cut off by its deadline; the stream is unusable");
      }
    }
    return sent;
  }
};

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl, std::string protocol)
    : impl_(std::move(impl)), protocol_(std::move(protocol)) {}

WebSocketClient::~WebSocketClient() = default;

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(void* easy_handle,
                                                                  const Options& options,
                                                                  std::string_view what) {
  auto impl = std::make_unique<Impl>();
  impl->easy = static_cast<CURL*>(easy_handle);
  impl->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->easy == nullptr || impl->wake_fd < 0) {
    return Fail(Error::Code::kInternal, "kubernetes: " + std::string(what) + ": no handle");
  }
  const auto deadline = Clock::now() + options.connect_timeout;
  const std::string prefix = "kubernetes: " + std::string(what) + ": ";

  // Host and path of the URL for the request line.
  CURLU* url = curl_url();
  std::string host_header;
  std::string target;
  if (curl_url_set(url, CURLUPART_URL, options.url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    char* port = nullptr;
    char* path = nullptr;
    char* query = nullptr;
    curl_url_get(url, CURLUPART_HOST, &host, 0);
    curl_url_get(url, CURLUPART_PORT, &port, 0);
    curl_url_get(url, CURLUPART_PATH, &path, 0);
    curl_url_get(url, CURLUPART_QUERY, &query, 0);
    if (host != nullptr) host_header = host;
    if (port != nullptr) host_header += std::string(":") + port;
    target = path != nullptr ? path : "/";
    if (query != nullptr) target += std::string("?") + query;
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
  }
  curl_url_cleanup(url);
  if (host_header.empty()) {
    return Fail(Error::Code::kInvalidArgument, prefix + "bad URL \"" + options.url + "\"");
  }

  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(impl->easy, CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(impl->easy, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(impl->easy, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(impl->easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  const CURLcode code = curl_easy_perform(impl->easy);
  curl_easy_setopt(impl->easy, CURLOPT_ERRORBUFFER, nullptr);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Fail(
        Error::Code::kDeadlineExceeded,
        prefix + "no connection within " + std::to_string(options.connect_timeout.count()) + " ms");
  }
  if (code != CURLE_OK) {
    return Fail(Error::Code::kUnavailable,
                prefix + (error_text[0] != '\0' ? error_text : curl_easy_strerror(code)));
  }
  curl_easy_getinfo(impl->easy, CURLINFO_ACTIVESOCKET, &impl->socket);

  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  const std::string key = Base64(nonce, sizeof nonce);
  std::string protocols;
  for (const auto& protocol : options.protocols) {
    if (!protocols.empty()) protocols += ", ";
    protocols += protocol;
  }
  std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: " + host_header +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
      "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: " +
      (options.user_agent.empty() ? std::string(UserAgent()) : options.user_agent) + "\r\n";
  if (!protocols.empty()) request += "Sec-WebSocket-Protocol: " + protocols + "\r\n";
  for (const auto& header : options.headers) request += header + "\r\n";
  request += "\r\n";
  if (auto sent = impl->SendRaw(request, deadline); !sent) {
    return Fail(sent.error().WithContext(prefix + "upgrade"));
  }

  // Read the answer's head byte by byte into a buffer; what follows it is frames.
  std::string head;
  std::size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    char buffer[4096];
    std::size_t got = 0;
    CURLcode rc;
    {
      std::lock_guard lock(impl->io_mutex);
      rc = curl_easy_recv(impl->easy, buffer, sizeof buffer, &got);
    }
    if (rc == CURLE_AGAIN) {
      auto ready = impl->Wait(POLLIN, deadline);
      if (!ready) return Fail(ready.error());
      if (!*ready) return Fail(Error::Code::kDeadlineExceeded, prefix + "no upgrade answer");
      continue;
    }
    if (rc != CURLE_OK || got == 0) {
      return Fail(Error::Code::kUnavailable, prefix + "the connection closed during the upgrade");
    }
    head.append(buffer, got);
    head_end = head.find("\r\n\r\n");
    if (head.size() > kMaxHandshake) {
      return Fail(Error::Code::kUnavailable, prefix + "the upgrade answer is too long");
    }
  }
  std::string rest = head.substr(head_end + 4);
  head.resize(head_end);

  long status = 0;
  std::string accept;
  std::string chosen;
  std::size_t content_length = 0;
  std::size_t line_start = 0;
  for (bool first = true; line_start <= head.size(); first = false) {
    std::size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string::npos) line_end = head.size();
    const std::string_view line(head.data() + line_start, line_end - line_start);
    line_start = line_end + 2;
    if (first) {
      // "HTTP/1.1 101 Switching Protocols"
      const auto space = line.find(' ');
      if (space != std::string_view::npos)
        status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = Lower(line.substr(0, colon));
    const std::string_view value = TrimView(line.substr(colon + 1));
    if (name == "sec-websocket-accept") accept = value;
    if (name == "sec-websocket-protocol") chosen = value;
    if (name == "content-length")
      content_length = std::strtoul(std::string(value).c_str(), nullptr, 10);
  }
  if (status != 101) {
    // A refusal carries a Status; read the rest of it (bounded) for the message.
    content_length = std::min(content_length, kMaxHandshake);
    while (rest.size() < content_length) {
      bool eof = false;
      char buffer[4096];
      std::size_t got = 0;
      CURLcode rc;
      {
        std::lock_guard lock(impl->io_mutex);
        rc = curl_easy_recv(impl->easy, buffer, sizeof buffer, &got);
      }
      if (rc == CURLE_AGAIN) {
        auto ready = impl->Wait(POLLIN, deadline);
        if (!ready || !*ready) break;
        continue;
      }
      if (rc != CURLE_OK || got == 0) eof = true;
      if (eof) break;
      rest.append(buffer, got);
    }
    return Fail(ErrorFromStatus(status, rest, what));
  }
  if (accept != WsAcceptKey(key)) {
    return Fail(Error::Code::kUnavailable, prefix + "the server's Sec-WebSocket-Accept is wrong");
  }
  if (!options.protocols.empty() && std::find(options.protocols.begin(), options.protocols.end(),
                                              chosen) == options.protocols.end()) {
    return Fail(Error::Code::kUnavailable,
                prefix + "the server chose subprotocol \"" + chosen + "\", which was not offered");
  }
  impl->decoder.Feed(rest);
  impl->ping_interval = options.ping_interval;
  impl->last_heard = Clock::now();
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl), chosen));
}

Result<void> WebSocketClient::Send(WsOpcode opcode, std::string_view payload,
                                   std::optional<std::chrono::milliseconds> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  return impl_->SendFrame(opcode, payload, deadline);
}

Result<std::optional<WsMessage>> WebSocketClient::Receive(
    std::optional<std::chrono::milliseconds> timeout) {
  Impl& s = *impl_;
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  for (;;) {
    if (s.closed) return std::optional<WsMessage>();
    auto frame = s.decoder.Next();
    if (!frame) return Fail(frame.error());
    std::optional<WsFrame>& next = *frame;
    if (!next) {
      // Wake for whichever comes first: the caller's deadline, or the keepalive's next step
      // (send a ping after ping_interval of silence; give up one interval after that).
      std::optional<Clock::time_point> wake = deadline;
      std::optional<Clock::time_point> keepalive;
      if (s.ping_interval.count() > 0) {
        keepalive = (s.ping_outstanding ? s.ping_sent_at : s.last_heard) + s.ping_interval;
        if (!wake || *keepalive < *wake) wake = keepalive;
      }
      bool eof = false;
      auto got = s.ReceiveSome(wake, &eof);
      if (!got) return Fail(got.error());
      if (!*got) {
        if (timeout && deadline && Clock::now() >= *deadline) {
          return Fail(Error::Code::kDeadlineExceeded,
                      "websocket: nothing came within " + std::to_string(timeout->count()) + " ms");
        }
        if (keepalive && Clock::now() >= *keepalive) {
          if (s.ping_outstanding) {
            return Fail(Error::Code::kUnavailable, "websocket: the peer answered no ping for " +
                                                       std::to_string(2 * s.ping_interval.count()) +
                                                       " ms");
          }
          (void)s.SendFrame(WsOpcode::kPing, "codeyard");
          s.ping_outstanding = true;
          s.ping_sent_at = Clock::now();
        }
        continue;
      }
      s.last_heard = Clock::now();
      s.ping_outstanding = false;
      if (eof) {
        // The peer went away without a close frame: the stream ends all the same.
        s.closed = true;
        return std::optional<WsMessage>();
      }
      continue;
    }
    WsFrame& f = *next;
    switch (f.opcode) {
      case WsOpcode::kPing:
        (void)s.SendFrame(WsOpcode::kPong, f.payload);
        continue;
      case WsOpcode::kPong:
        continue;
      case WsOpcode::kClose:
        s.closed = true;
        // Echo the code, as RFC 6455 §5.5.1 asks, unless we closed first.
        (void)s.SendFrame(WsOpcode::kClose, f.payload.substr(0, 2));
        return std::optional<WsMessage>();
      case WsOpcode::kText:
      case WsOpcode::kBinary:
        if (f.fin) return std::optional<WsMessage>(WsMessage{f.opcode, std::move(f.payload)});
        s.fragment_opcode = f.opcode;
        s.fragments = std::move(f.payload);
        continue;
      case WsOpcode::kContinuation:
        s.fragments += f.payload;
        if (f.fin) {
          return std::optional<WsMessage>(
              WsMessage{s.fragment_opcode, std::exchange(s.fragments, std::string())});
        }
        continue;
      default:
        return Fail(Error::Code::kUnavailable, "websocket: unknown opcode");
    }
  }
}

void WebSocketClient::Close(std::uint16_t code) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  // Bounded: a peer that stopped reading must not hold a destructor up.
  (void)impl_->SendFrame(WsOpcode::kClose, payload, Clock::now() + kCloseTimeout);
}

void WebSocketClient::Interrupt() {
  impl_->interrupted = true;
  const std::uint64_t one = 1;
  (void)!::write(impl_->wake_fd, &one, sizeof one);
}

}  // namespace codeyard::kube
