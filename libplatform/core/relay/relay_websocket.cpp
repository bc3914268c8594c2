// PortRelay::OpenWebSocket: the relay is a WebSocket client (RFC 6455) of the program in the
// pod, over a PortStream: the handshake, then masked frames out (a writer thread with a
// bounded queue) and the program's frames in (a reader thread that reassembles fragments and
// answers pings).
#include <openssl/sha.h>
#include <sodium.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "codeyard/port_relay.hpp"
#include "core/relay/http_exchange.hpp"

namespace codeyard {
namespace {

constexpr uint8_t kContinuation = 0x0;
constexpr uint8_t kText = 0x1;
constexpr uint8_t kBinary = 0x2;
constexpr uint8_t kClose = 0x8;
constexpr uint8_t kPing = 0x9;
constexpr uint8_t kPong = 0xA;
constexpr std::size_t kMaxQueued = std::size_t{64} << 20;
constexpr uint64_t kMaxMessage = uint64_t{64} << 20;

// RFC 6455 4.1: the server proves it read the key with base64(SHA-1(key + this GUID)).
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string ExpectedAccept(std::string_view key) {
  const std::string text = std::string(key) + std::string(kAcceptGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  std::array<char, sodium_base64_ENCODED_LEN(SHA_DIGEST_LENGTH, sodium_base64_VARIANT_ORIGINAL)>
      out{};
  sodium_bin2base64(out.data(), out.size(), digest.data(), digest.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  return out.data();
}

// One client frame: FIN set, masked as a client's must be.
std::string Frame(uint8_t opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 14);
  out += static_cast<char>(0x80 | opcode);
  const uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  }
  std::array<unsigned char, 4> mask{};
  randombytes_buf(mask.data(), mask.size());
  out.append(reinterpret_cast<const char*>(mask.data()), mask.size());
  const std::size_t at = out.size();
  out += payload;
  for (std::size_t i = 0; i < payload.size(); ++i) out[at + i] ^= static_cast<char>(mask[i % 4]);
  return out;
}

class Socket final : public RelayWebSocket {
 public:
  Socket(std::unique_ptr<PortStream> stream, std::string rest, RelayWsCallbacks callbacks)
      : stream_(std::move(stream)), in_(std::move(rest)), callbacks_(std::move(callbacks)) {}

  void Begin() {
    reader_ = std::thread([this] { ReadLoop(); });
    writer_ = std::thread([this] { WriteLoop(); });
  }

  ~Socket() override {
    Close();
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
  }

  Result<void> Send(bool binary, std::string message) override {
    return Queue(Frame(binary ? kBinary : kText, message));
  }

  void Close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    ready_.notify_all();
    stream_->Shutdown();
  }

 private:
  Result<void> Queue(std::string frame) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return Fail(Error::Code::kAborted, "preview: the WebSocket is closed");
      if (queued_ + frame.size() > kMaxQueued) {
        return Fail(Error::Code::kResourceExhausted,
                    "preview: the program does not read its WebSocket (64 MiB queued)");
      }
      queued_ += frame.size();
      out_.push_back(std::move(frame));
    }
    ready_.notify_one();
    return {};
  }

  void WriteLoop() {
    while (true) {
      std::string frame;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [this] { return closed_ || !out_.empty(); });
        if (closed_) return;
        frame = std::move(out_.front());
        out_.pop_front();
        queued_ -= frame.size();
      }
      if (!stream_->Write(frame, std::nullopt)) return;  // the reader reports the end
    }
  }

  // Bytes until `in_` holds `n`; false at the end of the stream.
  Result<bool> Need(std::size_t n) {
    while (in_.size() < n) {
      auto got = stream_->Read(std::size_t{64} << 10, std::nullopt);
      if (!got) return std::unexpected(got.error());
      if (got->empty()) return false;
      in_ += *got;
    }
    return true;
  }

  Result<void> ReadFrames() {
    std::string message;
    bool binary = false;
    while (true) {
      auto have = Need(2);
      if (!have) return std::unexpected(have.error());
      if (!*have) return Fail(Error::Code::kAborted, "preview: the program closed the connection");
      const auto b0 = static_cast<uint8_t>(in_[0]);
      const auto b1 = static_cast<uint8_t>(in_[1]);
      const bool fin = (b0 & 0x80) != 0;
      const uint8_t opcode = b0 & 0x0F;
      const bool masked = (b1 & 0x80) != 0;
      uint64_t length = b1 & 0x7F;
      std::size_t at = 2;
      if (length >= 126) {
        const std::size_t bytes = length == 126 ? 2 : 8;
        have = Need(at + bytes);
        if (!have || !*have) return Fail(Error::Code::kUnavailable, "preview: a broken frame");
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
          length = (length << 8) | static_cast<uint8_t>(in_[at + i]);
        }
        at += bytes;
      }
      if (length > kMaxMessage || message.size() + length > kMaxMessage) {
        return Fail(Error::Code::kUnavailable, "preview: a WebSocket message over 64 MiB");
      }
      std::array<uint8_t, 4> mask{};
      if (masked) {
        have = Need(at + 4);
        if (!have || !*have) return Fail(Error::Code::kUnavailable, "preview: a broken frame");
        for (std::size_t i = 0; i < 4; ++i) mask.at(i) = static_cast<uint8_t>(in_[at + i]);
        at += 4;
      }
      have = Need(at + length);
      if (!have || !*have) return Fail(Error::Code::kUnavailable, "preview: a broken frame");
      std::string payload = in_.substr(at, length);
      in_.erase(0, at + length);
      if (masked) {
        for (std::size_t i = 0; i < payload.size(); ++i)
          payload[i] ^= static_cast<char>(mask[i % 4]);
      }
      switch (opcode) {
        case kPing:
          (void)Queue(Frame(kPong, payload));
          continue;
        case kPong:
          continue;
        case kClose:
          return Fail(Error::Code::kAborted, "preview: the program closed the WebSocket");
        case kText:
        case kBinary:
          binary = opcode == kBinary;
          message = std::move(payload);
          break;
        case kContinuation:
          message += payload;
          break;
        default:
          return Fail(Error::Code::kUnavailable, "preview: an unknown WebSocket opcode");
      }
      if (fin) {
        callbacks_.on_message(binary, std::move(message));
        message.clear();
      }
    }
  }

  void ReadLoop() {
    auto ended = ReadFrames();
    Close();
    callbacks_.on_end(ended.error());
  }

  std::unique_ptr<PortStream> stream_;
  std::string in_;  // received, not yet parsed (reader thread)
  RelayWsCallbacks callbacks_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::string> out_;
  std::size_t queued_ = 0;
  bool closed_ = false;
  std::thread reader_;
  std::thread writer_;
};

}  // namespace

Result<std::unique_ptr<RelayWebSocket>> PortRelay::OpenWebSocket(std::string_view user_id,
                                                                 std::string_view workspace_id,
                                                                 uint16_t port,
                                                                 const RelayRequest& request,
                                                                 RelayWsCallbacks callbacks) {
  auto stream = Connect(user_id, workspace_id, port);
  if (!stream) return std::unexpected(stream.error());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  std::array<unsigned char, 16> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  std::array<char, sodium_base64_ENCODED_LEN(16, sodium_base64_VARIANT_ORIGINAL)> key{};
  sodium_bin2base64(key.data(), key.size(), nonce.data(), nonce.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  std::string handshake = "GET " + (request.target.empty() ? std::string("/") : request.target) +
                          " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
                          std::string(key.data()) + "\r\n\r\n";
  if (auto wrote = (*stream)->Write(handshake, timeout); !wrote) {
    return Fail(Error::Code::kUnavailable, "preview: " + wrote.error().message());
  }
  auto head = relay::ReadHead(**stream, "GET", options_.max_response_bytes, timeout);
  if (!head) return std::unexpected(head.error());
  if (head->response.status != 101) {
    return Fail(Error::Code::kUnavailable,
                "preview: the program answered the WebSocket handshake with " +
                    std::to_string(head->response.status) + ", not 101");
  }
  // A 101 without the right proof is not a WebSocket server that read this handshake (a
  // proxy or a program that answers every request with 101): refused, never relayed.
  const std::string expected = ExpectedAccept(key.data());
  std::string_view accept;
  for (const auto& [name, value] : head->response.headers) {
    if (name == "sec-websocket-accept") accept = value;
  }
  if (accept != expected) {
    return Fail(Error::Code::kUnavailable,
                accept.empty() ? std::string("preview: the program's WebSocket handshake has no "
                                             "Sec-WebSocket-Accept")
                               : "preview: the program's Sec-WebSocket-Accept \"" +
                                     std::string(accept.substr(0, 64)) +
                                     "\" does not match the key the relay sent");
  }
  auto socket =
      std::make_unique<Socket>(std::move(*stream), std::move(head->rest), std::move(callbacks));
  socket->Begin();
  return socket;
}

}  // namespace codeyard
