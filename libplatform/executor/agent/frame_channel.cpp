#include "executor/agent/frame_channel.hpp"

#include <cstdlib>

#include "core/try.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::agent {

Result<std::unique_ptr<FrameChannel>> FrameChannel::Open(const StreamOpener& opener,
                                                         const AgentPodOptions& options) {
  CY_TRY(auto stream, opener({options.pod_binary, "agent"}));
  if (!stream) return Fail(Error::Code::kInternal, "agent pod: the opener gave no stream");
  return std::make_unique<FrameChannel>(std::move(stream), options.call_timeout);
}

FrameChannel::FrameChannel(std::unique_ptr<PortStream> stream,
                           std::chrono::milliseconds write_timeout)
    : stream_(std::move(stream)), write_timeout_(write_timeout) {
  reader_ = std::thread([this] { ReadLoop(); });
}

FrameChannel::~FrameChannel() {
  Shutdown();
  if (reader_.joinable()) reader_.join();
}

void FrameChannel::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_ = true;
  }
  cv_.notify_all();
  stream_->Shutdown();
}

void FrameChannel::ReadLoop() {
  local::FrameReader reader;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return queued_ < kMaxQueued || shut_; });
      if (shut_) {
        ended_ = true;
        cv_.notify_all();
        return;
      }
    }
    auto bytes = stream_->Read(64 * 1024, std::nullopt);
    std::lock_guard lock(mu_);
    if (!bytes || bytes->empty()) {
      if (!bytes) error_ = bytes.error();
      ended_ = true;
      cv_.notify_all();
      return;
    }
    reader.Feed(*bytes);
    while (auto frame = reader.Next()) {
      if (frame->type == FrameType::kTaken) {
        taken_ += std::strtoull(frame->payload.c_str(), nullptr, 10);
        continue;
      }
      queued_ += frame->payload.size();
      frames_.push_back(std::move(*frame));
    }
    if (reader.broken()) {
      error_ = Error(Error::Code::kInternal, "agent pod: the agent sent a frame past the limit");
      ended_ = true;
    }
    cv_.notify_all();
    if (ended_) return;
  }
}

Result<void> FrameChannel::Send(FrameType type, std::string_view payload) {
  std::string out;
  local::AppendChunked(out, type, payload);
  return SendRaw(out);
}

Result<void> FrameChannel::SendRaw(std::string_view bytes) {
  std::lock_guard lock(write_mu_);
  return stream_->Write(bytes, write_timeout_);
}

Result<std::optional<Frame>> FrameChannel::Next(std::optional<Clock::time_point> deadline,
                                                std::atomic<bool>* interrupt) {
  std::unique_lock lock(mu_);
  const auto ready = [&] {
    return !frames_.empty() || ended_ || (interrupt != nullptr && interrupt->load());
  };
  if (deadline) {
    if (!cv_.wait_until(lock, *deadline, ready)) {
      return Fail(Error::Code::kDeadlineExceeded, "agent pod: nothing came from the agent in time");
    }
  } else {
    cv_.wait(lock, ready);
  }
  if (!frames_.empty()) {
    Frame frame = std::move(frames_.front());
    frames_.pop_front();
    queued_ -= frame.payload.size();
    cv_.notify_all();  // the reader may be waiting for room
    return frame;
  }
  if (interrupt != nullptr && interrupt->exchange(false)) {
    return Fail(Error::Code::kAborted, "interrupted");
  }
  return std::optional<Frame>();
}

uint64_t FrameChannel::taken() const {
  std::lock_guard lock(mu_);
  return taken_;
}

Result<void> FrameChannel::AwaitTaken(uint64_t at_least, std::atomic<bool>* interrupt) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] {
    return taken_ >= at_least || ended_ || shut_ || (interrupt != nullptr && interrupt->load());
  });
  if (taken_ >= at_least) return {};
  if (interrupt != nullptr && interrupt->exchange(false)) {
    return Fail(Error::Code::kAborted, "interrupted");
  }
  return Fail(Error::Code::kAborted, "the process no longer reads stdin");
}

void FrameChannel::Wake() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

std::optional<Error> FrameChannel::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

Result<boost::json::object> AwaitAttached(FrameChannel& channel, Clock::time_point deadline) {
  CY_TRY(auto frame, channel.Next(deadline));
  if (!frame) {
    if (auto error = channel.error()) return std::unexpected(error->WithContext("agent pod"));
    return Fail(Error::Code::kUnavailable, "agent pod: the agent ended without an answer");
  }
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(frame->payload, ec);
  if (ec || !body.is_object()) {
    return Fail(Error::Code::kInternal, "agent pod: the agent's answer is not JSON");
  }
  if (frame->type == FrameType::kError) {
    return std::unexpected(local::ErrorFromMessage(body.get_object()));
  }
  if (frame->type != FrameType::kAttached) {
    return Fail(Error::Code::kInternal, "agent pod: the agent answered out of order");
  }
  return std::move(body.get_object());
}

}  // namespace codeyard::agent
