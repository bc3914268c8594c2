// HubClient: what codeyard.Terminal and codeyard.Run share. Each is one client of a
// TerminalHub-woken service (Terminals or RunSessions: both take messages with Receive, hand
// out the client's next message with Next, and let a client go with Detach); HubClient keeps
// the client's id and close state, sends, and waits for the next message with or without a
// deadline. The close code of a refusal maps to the Python exception's code in one table.
//
// Threading: every method may be called from any thread; NextMessage must be called without
// the GIL (it blocks). mu_ guards detached_ and close_; the hub's own lock guards its
// generation.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "codeyard/terminals.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {

// The Error code a terminal or run close code stands for.
inline Error::Code CodeOfClose(uint16_t code) {
  switch (code) {
    case terminal::kCloseUnauthenticated:
      return Error::Code::kUnauthenticated;
    case terminal::kCloseNotFound:
      return Error::Code::kNotFound;
    case terminal::kCloseNotShared:
      return Error::Code::kFailedPrecondition;
    case terminal::kCloseLimit:
      return Error::Code::kResourceExhausted;
    case terminal::kClosePolicy:
    case terminal::kCloseInvalidPayload:
      return Error::Code::kInvalidArgument;
    case terminal::kCloseInternal:
      return Error::Code::kInternal;
    default:
      return Error::Code::kUnavailable;
  }
}

template <class Service>
class HubClient {
 public:
  HubClient(std::shared_ptr<Service> service, std::shared_ptr<TerminalHub> hub, uint64_t id,
            std::string what)
      : service_(std::move(service)), hub_(std::move(hub)), id_(id), what_(std::move(what)) {}
  HubClient(const HubClient&) = delete;
  HubClient& operator=(const HubClient&) = delete;
  ~HubClient() { Close(); }

  // Lets the client go (the service keeps the shell or the run as its rules say).
  void Close() {
    std::lock_guard lock(mu_);
    if (detached_) return;
    detached_ = true;
    service_->Detach(id_);
    hub_->Wake();
  }

  bool closed() {
    std::lock_guard lock(mu_);
    return detached_ || close_.has_value();
  }
  std::optional<int> close_code() {
    std::lock_guard lock(mu_);
    return close_ ? std::optional<int>(close_->code) : std::nullopt;
  }
  std::string close_reason() {
    std::lock_guard lock(mu_);
    return close_ ? close_->reason : "";
  }

  // Sends one protocol message; raises once closed, or with the close the service answers.
  void Send(const std::string& message) {
    if (closed()) Raise(Error(Error::Code::kFailedPrecondition, what_ + ": closed"));
    if (auto close = service_->Receive(id_, message)) {
      Raise(Error(CodeOfClose(close->code), what_ + ": " + close->reason));
    }
  }

  using Clock = std::chrono::steady_clock;

  // When a wait of `timeout` seconds from now ends (none: never).
  static std::optional<Clock::time_point> DeadlineOf(std::optional<double> timeout) {
    if (!timeout) return std::nullopt;
    return Clock::now() + Millis(*timeout);
  }

  // The client's next non-empty message, waiting until `deadline` (none: until one comes or
  // the client closes); nullopt past the deadline and once closed.
  std::optional<std::string> NextMessage(std::optional<Clock::time_point> deadline) {
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard lock(hub_->mu);
        seen = hub_->generation;
      }
      {
        std::lock_guard lock(mu_);
        if (detached_ || close_) return std::nullopt;
        bool more = false;
        TerminalOut out = service_->Next(id_, &more);
        if (auto* close = std::get_if<terminal::Close>(&out)) {
          close_ = *close;
          return std::nullopt;
        }
        if (auto* message = std::get_if<std::string>(&out)) {
          if (!message->empty()) return std::move(*message);
          continue;
        }
      }
      (void)service_->TakeReady();
      std::unique_lock lock(hub_->mu);
      const auto moved = [&] { return hub_->generation != seen; };
      if (deadline) {
        if (!hub_->cv.wait_until(lock, *deadline, moved)) return std::nullopt;
      } else {
        hub_->cv.wait(lock, moved);
      }
    }
  }

 protected:
  Service& service() { return *service_; }
  uint64_t id() const { return id_; }

 private:
  std::shared_ptr<Service> service_;
  std::shared_ptr<TerminalHub> hub_;
  uint64_t id_;
  std::string what_;
  std::mutex mu_;
  bool detached_ = false;
  std::optional<terminal::Close> close_;
};

// __next__ of a client's iterator: the next output chunk; StopIteration once it closed.
template <class Client>
py::bytes NextChunk(Client& c) {
  for (;;) {
    py::bytes chunk = c.Read(std::nullopt);
    if (!std::string(chunk).empty()) return chunk;
    if (c.closed()) throw py::stop_iteration();
  }
}

}  // namespace codeyard::python
