// A PortStream over fixed bytes, for the fuzz targets that play the far end of a stream (a
// hostile pod, a program behind the preview relay): Read hands out the bytes in pieces of at
// most `piece` bytes, then "" (end of stream); Write takes and drops everything. Used by one
// reader and one writer at a time, as PortStream allows.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "codeyard/backend/port_stream.hpp"

namespace codeyard::fuzz {

class ByteStream : public PortStream {
 public:
  ByteStream(std::string bytes, std::size_t piece)
      : bytes_(std::move(bytes)), piece_(std::max<std::size_t>(piece, 1)) {}

  Result<void> Write(std::string_view, std::optional<std::chrono::milliseconds>) override {
    std::lock_guard lock(mu_);
    if (shut_) return Fail(Error::Code::kAborted, "byte stream: shut down");
    return {};
  }
  Result<std::string> Read(std::size_t max, std::optional<std::chrono::milliseconds>) override {
    std::lock_guard lock(mu_);
    if (shut_ || at_ >= bytes_.size()) return std::string();
    const std::size_t n = std::min({max, piece_, bytes_.size() - at_});
    std::string out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  Result<void> CloseWrite() override { return {}; }
  void Shutdown() override {
    std::lock_guard lock(mu_);
    shut_ = true;
  }

 private:
  std::mutex mu_;
  const std::string bytes_;
  const std::size_t piece_;
  std::size_t at_ = 0;
  bool shut_ = false;
};

}  // namespace codeyard::fuzz
