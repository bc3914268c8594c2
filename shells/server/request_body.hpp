// A request body read while its handler runs (RouteOptions::streamed_body: the preview relay's
// uploads), instead of whole before it: a bounded pipe between the service thread, which
// pushes what lws reads, and the handler's worker, which takes it as the program in the pod
// does. Past `capacity` bytes held the service thread stops reading the connection (lws rx
// flow control) and the handler's next Read that empties the pipe calls the wake function,
// after which the server reads on: the browser sends only as fast as the program takes it.
// Thread-safe; the wake function is called without the lock held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "codeyard/error.hpp"

namespace codeyard::server {

class RequestBody {
 public:
  explicit RequestBody(uint64_t length, std::size_t capacity = std::size_t{256} << 10)
      : length_(length), capacity_(capacity) {}

  // The body's size, its Content-Length.
  [[nodiscard]] uint64_t length() const { return length_; }

  // ---- the handler (a worker thread) ----
  // What has arrived, waiting for some; "" once the whole body has been read. kAborted when
  // the connection went away (or the answer went out first), kDeadlineExceeded after
  // `timeout` without a byte.
  [[nodiscard]] Result<std::string> Read(std::chrono::milliseconds timeout) {
    std::function<void()> wake;
    std::string out;
    {
      std::unique_lock lock(mu_);
      if (!ready_.wait_for(lock, timeout,
                           [&] { return cancelled_ || !buffered_.empty() || complete_; })) {
        return Fail(Error::Code::kDeadlineExceeded, "request body: the client sent nothing for " +
                                                        std::to_string(timeout.count() / 1000) +
                                                        " s");
      }
      if (cancelled_) return Fail(Error::Code::kAborted, "request body: the client went away");
      out.swap(buffered_);
      if (paused_) {
        paused_ = false;
        wake = wake_;
      }
    }
    if (wake) wake();
    return out;
  }

  // ---- the service thread ----
  void SetWake(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }
  // Appends what lws read; true when the pipe is full: stop reading until the wake.
  [[nodiscard]] bool Push(const void* in, std::size_t len) {
    bool full = false;
    {
      std::lock_guard lock(mu_);
      if (cancelled_) return false;
      buffered_.append(static_cast<const char*>(in), len);
      full = paused_ = buffered_.size() >= capacity_;
    }
    ready_.notify_one();
    return full;
  }
  // lws has delivered the whole body.
  void Finish() {
    {
      std::lock_guard lock(mu_);
      complete_ = true;
    }
    ready_.notify_one();
  }
  // The connection went away, or is answered before its body was all read.
  void Cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      buffered_.clear();
    }
    ready_.notify_one();
  }
  [[nodiscard]] bool complete() const {
    std::lock_guard lock(mu_);
    return complete_;
  }

 private:
  const uint64_t length_;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::string buffered_;
  bool paused_ = false;
  bool complete_ = false;
  bool cancelled_ = false;
  std::function<void()> wake_;
};

}  // namespace codeyard::server
