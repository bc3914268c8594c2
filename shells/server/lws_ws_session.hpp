// The WebSocket connection glue under the sockets' base (lws_websocket) and the preview relay
// (lws_relay): a connection's common state (WsSession), its opening (request id, the hello
// timer, TCP keepalive, the RawTap's frame watch), whole messages assembled from fragments
// under a size cap, one message written per WRITEABLE callback, the deferred close (set a
// close, send it on the next WRITEABLE, after what was queued before it), and worker jobs
// that report back to the service thread through an inbox and the wake function. What a
// message means, what is queued and what is logged stay with each kind of socket.
//
// Service thread only, except WsInbox::Post and WsGlue::Wake (any thread) and the jobs
// WsGlue::Submit runs on a worker.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/error.hpp"
#include "worker_pool.hpp"

struct lws;

namespace codeyard::server {

inline constexpr uint16_t kWsCloseProtocolError = 1002;  // an unmasked client frame

// A close to send: its code and reason (cut to fit the close frame when sent).
struct WsClose {
  uint16_t code = 1000;
  std::string reason;
};

// What every connection keeps for the glue; each kind of socket extends it with its own state.
struct WsSession {
  lws* wsi = nullptr;
  std::string request_id;
  std::string message;           // being assembled from fragments
  std::optional<WsClose> close;  // once set, sent on the next WRITEABLE
  int64_t opened_ms = 0;         // steady clock
  bool hello_done = false;       // WsGlue::HelloDone: the hello timer is off

  // Milliseconds since Open.
  [[nodiscard]] int64_t age_ms() const;
};

// Results of worker jobs for the service thread: posted from any thread, taken on the service
// thread when it wakes.
template <typename T>
class WsInbox {
 public:
  void Post(T item) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
  }
  [[nodiscard]] std::vector<T> Take() {
    std::vector<T> items;
    std::lock_guard lock(mu_);
    items.swap(items_);
    return items;
  }

 private:
  std::mutex mu_;
  std::vector<T> items_;
};

// The glue of one kind of socket: its frame type, where its jobs run and how they wake the
// service thread, and the write buffer its messages go through.
class WsGlue {
 public:
  enum class Frames { kText, kBinary };
  explicit WsGlue(Frames frames) : frames_(frames) {}

  // Before serving: where jobs run, and how another thread wakes the service thread.
  void Bind(WorkerPool* pool, std::function<void()> wake);
  // Wakes the service thread (LWS_CALLBACK_EVENT_WAIT_CANCELLED follows). Any thread.
  void Wake() const;
  // Runs `job` on a worker, posts its result to `inbox` and wakes the service thread. False
  // when no worker can take it (the pool is full, or none is bound): the caller decides.
  template <typename T>
  [[nodiscard]] bool Submit(WsInbox<T>& inbox, std::function<T()> job) {
    return pool_ != nullptr && pool_->TrySubmit([this, &inbox, job = std::move(job)] {
      inbox.Post(job());
      Wake();
    });
  }

  // LWS_CALLBACK_ESTABLISHED (headers are still readable): fills in `s`, arms the 10 s hello
  // timer (LWS_CALLBACK_TIMER), turns on TCP keepalive and has this thread's RawTap watch the
  // connection's frames.
  static void Open(WsSession& s, lws* wsi);
  // The hello came: its timer is cancelled.
  static void HelloDone(WsSession& s);
  // The token of a hello {"token":"..."} (the events and language-server sockets'); an error
  // saying what the first message must be otherwise.
  [[nodiscard]] static Result<std::string> HelloToken(std::string_view message);
  // One received fragment: the whole message once its last fragment came, nullopt before.
  // A message growing past `max` is dropped and `s` closes with `too_big`.
  [[nodiscard]] static std::optional<std::string> Assemble(WsSession& s, const void* in,
                                                           std::size_t len, std::size_t max,
                                                           const WsClose& too_big);
  // Closes `s` with `close` on the next WRITEABLE; the first close set wins.
  static void CloseWith(WsSession& s, WsClose close);
  // Closes with 1002 the connection in `conns` (id -> a WsSession) on socket `fd`: the
  // RawTap saw an unmasked client frame (RFC 6455 §5.1; lws 4.1.6 accepts them).
  template <typename Map>
  static void CloseUnmasked(Map& conns, int fd) {
    for (auto& [id, c] : conns) {
      if (SocketFd(c) == fd) {
        CloseWith(c, {kWsCloseProtocolError, "client frames must be masked (RFC 6455)"});
        return;
      }
    }
  }
  // Writes `message` as one frame: 0, or -1 (the callback returns it: the connection closes).
  [[nodiscard]] int Write(WsSession& s, std::string_view message);
  // Puts `close` in the close frame lws sends when the callback returns -1 (which it must);
  // returns the reason as sent, cut to 123 bytes at a character boundary (RFC 6455: 125 with
  // the code).
  static std::string SendClose(WsSession& s, const WsClose& close);

  // The reply buffer, for an answer written before the upgrade (ConfirmUpgrade).
  [[nodiscard]] std::vector<unsigned char>& scratch() { return scratch_; }

 private:
  static int SocketFd(const WsSession& s);

  const Frames frames_;
  WorkerPool* pool_ = nullptr;
  std::function<void()> wake_;
  std::vector<unsigned char> scratch_;
};

}  // namespace codeyard::server
