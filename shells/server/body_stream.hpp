// A response body made while it is sent (a zip of a workspace): a bounded pipe between the
// worker thread that produces the bytes and the service thread that writes them, what the pipe
// holds (up to its capacity) per WRITEABLE callback. The producer blocks while the pipe holds
// `capacity` bytes, so a slow client holds back the producer instead of growing memory
// (backpressure); the service thread never blocks: with nothing to write it arms no WRITEABLE
// callback and the producer's next write wakes it (the wake function, set by the server, queues the
// connection and calls lws_cancel_service). When the connection goes away the pipe is cancelled and
// the producer's next write returns false. Thread-safe; the wake function is called without the
// lock held.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace codeyard::server {

class BodyPipe {
 public:
  explicit BodyPipe(std::size_t capacity = std::size_t{256} << 10) : capacity_(capacity) {}

  // ---- producer (a worker thread) ----
  // Appends `bytes`, waiting while the pipe is full. False once the reader is gone.
  bool Write(std::string_view bytes) {
    std::function<void()> wake;
    {
      std::unique_lock lock(mu_);
      room_.wait(lock, [&] { return cancelled_ || buffered_.size() < capacity_; });
      if (cancelled_) return false;
      buffered_.append(bytes);
      if (reader_waiting_) {
        reader_waiting_ = false;
        wake = wake_;
      }
    }
    if (wake) wake();
    return true;
  }
  // The body is complete (`ok`) or broken off (the connection is closed without its end).
  void Finish(bool ok) {
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      if (finished_) return;
      finished_ = true;
      ok_ = ok;
      if (reader_waiting_) {
        reader_waiting_ = false;
        wake = wake_;
      }
    }
    if (wake) wake();
  }

  // ---- reader (the service thread) ----
  enum class Take { kData, kEmpty, kEnd, kFailed };
  // Copies up to `max` bytes to `out` (*n of them) and drops them from the pipe, in one copy
  // into the caller's buffer (the writer keeps one, with lws's LWS_PRE room in front). kEmpty:
  // nothing yet; the wake function runs when there is (or when the body ends). Taking all the
  // pipe holds (`max` at least its capacity) leaves it empty without moving a remainder down.
  Take Next(unsigned char* out, std::size_t max, std::size_t* n) {
    std::lock_guard lock(mu_);
    *n = 0;
    if (!buffered_.empty()) {
      *n = std::min(max, buffered_.size());
      std::memcpy(out, buffered_.data(), *n);
      buffered_.erase(0, *n);
      room_.notify_one();
      return Take::kData;
    }
    if (finished_) return ok_ ? Take::kEnd : Take::kFailed;
    reader_waiting_ = true;
    return Take::kEmpty;
  }
  // Set once, before the producer starts.
  void SetWake(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }
  void Cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      wake_ = nullptr;
    }
    room_.notify_all();
  }

 private:
  const std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable room_;
  std::string buffered_;
  std::function<void()> wake_;
  bool reader_waiting_ = false;
  bool finished_ = false;
  bool ok_ = false;
  bool cancelled_ = false;
};

// What a handler returns for a streamed body (Response::stream): the pipe, and the producer
// that the server runs on the handler's worker thread once the headers are handed over. The
// producer must end with pipe.Finish. Destroying the last StreamedBody (the connection is gone
// or the answer is written) cancels the pipe, which releases a producer blocked on it.
struct StreamedBody {
  std::shared_ptr<BodyPipe> pipe = std::make_shared<BodyPipe>();
  std::function<void(BodyPipe&)> produce;

  StreamedBody() = default;
  StreamedBody(const StreamedBody&) = delete;
  StreamedBody& operator=(const StreamedBody&) = delete;
  ~StreamedBody() {
    if (pipe) pipe->Cancel();
  }
};

}  // namespace codeyard::server
