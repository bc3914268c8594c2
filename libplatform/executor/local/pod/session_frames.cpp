#include "executor/local/pod/session_frames.hpp"

namespace codeyard::local {

void AppendFrame(std::string& out, FrameType type, std::string_view payload) {
  const auto size = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(type));
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xffU));
  }
  out.append(payload);
}

std::optional<Frame> FrameReader::Next() {
  if (broken_ || buffered() < kFrameHeader) return std::nullopt;
  const auto* head = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  uint32_t size = 0;
  for (int i = 1; i <= 4; ++i) size = (size << 8) | head[i];
  if (size > kMaxFramePayload) {
    broken_ = true;
    return std::nullopt;
  }
  if (buffered() < kFrameHeader + size) return std::nullopt;
  Frame frame;
  frame.type = static_cast<FrameType>(head[0]);
  frame.payload.assign(buffer_, offset_ + kFrameHeader, size);
  offset_ += kFrameHeader + size;
  // Compact once the consumed prefix dominates, so a long stream does not grow the buffer.
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > kMaxFramePayload) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return frame;
}

bool ValidSessionName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace codeyard::local
