// The output half of the session table: the scrollback ring, reading the PTY, each
// attachment's queue, and the flow control that paces the shell to attachments that keep up
// and skips forward the ones that stop (session.hpp).
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <vector>

#include <boost/json.hpp>

#include "executor/local/pod/session.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

// The PTY's read buffer, for the whole (single-threaded) init.
char g_output[kMaxFramePayload];

}  // namespace

void Ring::Append(std::string_view bytes) {
  if (bytes.size() >= capacity_) {
    data_.assign(bytes.substr(bytes.size() - capacity_));
    head_ = 0;
    full_ = true;
    return;
  }
  if (!full_) {
    const size_t room = capacity_ - data_.size();
    const size_t now = std::min(room, bytes.size());
    data_.append(bytes.substr(0, now));
    bytes.remove_prefix(now);
    head_ = data_.size();
    if (data_.size() < capacity_) return;
    full_ = true;
    head_ = 0;
  }
  while (!bytes.empty()) {
    const size_t now = std::min(bytes.size(), capacity_ - head_);
    std::copy_n(bytes.data(), now, data_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = (head_ + now) % capacity_;
    bytes.remove_prefix(now);
  }
}

std::string Ring::Contents() const {
  if (!full_) return data_;
  std::string out = data_.substr(head_);
  out.append(data_, 0, head_);
  return out;
}

void SessionTable::ReadOutput(uint64_t key, Session& session, size_t budget) {
  while (budget > 0 && session.master_open && !session.held) {
    // A PTY hands out a few KiB per read: gather them into one frame (one write to each
    // attachment, one read on its side) instead of a frame per read.
    const size_t want = std::min(budget, sizeof(g_output));
    size_t got = 0;
    bool more = true;
    while (got < want) {
      const ssize_t n = ::read(session.master.get(), g_output + got, want - got);
      if (n > 0) {
        got += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        if (n == 0 || errno != EAGAIN) session.master_open = false;  // EOF or EIO: no holder
        more = false;
        break;
      }
    }
    if (got > 0) {
      const std::string_view chunk(g_output, got);
      session.scrollback.Append(chunk);
      Broadcast(session, FrameType::kOutput, std::string(chunk));
      budget -= got;
      UpdateHold(key, session);
    }
    if (!more) break;
  }
}

void SessionTable::Queue(Attachment& attachment, FrameType type, std::string_view payload) {
  Pending pending;
  pending.type = type;
  pending.payload = payload.size();
  AppendFrame(pending.bytes, type, payload);
  if (type == FrameType::kOutput) attachment.queued_output += payload.size();
  attachment.queue.push_back(std::move(pending));
}

void SessionTable::Resync(Attachment& attachment, const Session& session) {
  if (attachment.skipped) {
    json::object gap;
    gap["skipped"] = *attachment.skipped;
    Queue(attachment, FrameType::kGap, json::serialize(gap));
    attachment.skipped.reset();
  }
  const std::string contents = session.scrollback.Contents();
  for (size_t at = 0; at < contents.size(); at += kMaxFramePayload) {
    Queue(attachment, FrameType::kOutput, std::string_view(contents).substr(at, kMaxFramePayload));
  }
}

void SessionTable::SkipForward(Attachment& attachment, size_t also_skipped) {
  // Drops queued output, but not a frame half written nor a control frame.
  size_t skipped = also_skipped + attachment.skipped.value_or(0);
  std::deque<Pending> kept;
  for (size_t i = 0; i < attachment.queue.size(); ++i) {
    Pending& pending = attachment.queue[i];
    const bool started = i == 0 && attachment.written > 0;
    if (pending.type == FrameType::kOutput && !started) {
      skipped += pending.payload;
      attachment.queued_output -= pending.payload;
    } else {
      kept.push_back(std::move(pending));
    }
  }
  attachment.queue = std::move(kept);
  attachment.skipped = skipped;
  attachment.full_since_ms = 0;
}

void SessionTable::UpdateHold(uint64_t key, Session& session) {
  const int64_t now = NowMs();
  const auto is_full = [](const Attachment& attachment) {
    return !attachment.closing && !attachment.skipped &&
           attachment.queued_output + kMaxFramePayload > kAttachmentQueueBytes;
  };
  // A stalled attachment is skipped forward only for the sake of one that keeps up; when
  // every attachment is stalled the shell waits, as on one slow terminal, and loses nothing.
  bool any_flowing = false;
  for (const uint64_t attachment_key : session.attachments) {
    const auto it = attachments_.find(attachment_key);
    if (it == attachments_.end()) continue;
    const Attachment& attachment = it->second;
    if (!attachment.closing && !attachment.skipped && !is_full(attachment)) any_flowing = true;
  }
  bool held = false;
  for (const uint64_t attachment_key : session.attachments) {
    if (session.draining) break;
    const auto it = attachments_.find(attachment_key);
    if (it == attachments_.end()) continue;
    Attachment& attachment = it->second;
    if (!is_full(attachment)) {
      attachment.full_since_ms = 0;
      continue;
    }
    if (attachment.full_since_ms == 0) attachment.full_since_ms = now;
    if (any_flowing && now - attachment.full_since_ms >= kHoldMs) {
      SkipForward(attachment, 0);
      UpdateInterest(attachment_key, attachment);
      continue;
    }
    held = true;
  }
  const bool rearm = held != session.held || any_flowing != session.can_skip;
  session.can_skip = any_flowing;
  if (held != session.held) {
    session.held = held;
    UpdateMaster(key, session);
  }
  if (rearm) ArmTimer();
}

void SessionTable::OnTimer() {
  uint64_t expirations = 0;
  (void)::read(timer_.get(), &expirations, sizeof(expirations));
  for (auto& [key, session] : sessions_) {
    if (session.held) UpdateHold(key, session);
  }
  ArmTimer();
}

void SessionTable::ArmTimer() {
  if (!timer_.valid()) return;
  std::optional<int64_t> next;
  for (const auto& [key, session] : sessions_) {
    if (!session.held || !session.can_skip) continue;  // nobody to skip for: no deadline
    for (const uint64_t attachment_key : session.attachments) {
      const auto it = attachments_.find(attachment_key);
      if (it == attachments_.end() || it->second.full_since_ms == 0) continue;
      const int64_t at = it->second.full_since_ms + kHoldMs;
      next = std::min(next.value_or(at), at);
    }
  }
  ArmTimerAt(timer_.get(), next);
}

void SessionTable::Broadcast(Session& session, FrameType type, const std::string& payload) {
  std::vector<uint64_t> keys(session.attachments.begin(), session.attachments.end());
  for (const uint64_t key : keys) {
    const auto it = attachments_.find(key);
    if (it == attachments_.end()) continue;
    Attachment& attachment = it->second;
    if (type == FrameType::kOutput) {
      if (attachment.skipped) {
        *attachment.skipped += payload.size();
        continue;
      }
      if (attachment.queued_output + payload.size() > kAttachmentQueueBytes) {
        // Only the last drain of an ended shell reads past a holder; skip it forward.
        SkipForward(attachment, payload.size());
        UpdateInterest(key, attachment);
        continue;
      }
    }
    Queue(attachment, type, payload);
    Flush(key, attachment);
  }
}

bool SessionTable::Flush(uint64_t key, Attachment& attachment) {
  if (attachment.gone) return true;  // Detached is reading what it sent; nothing goes out
  while (true) {
    if (attachment.skipped && attachment.queued_output == 0 && attachment.session != 0) {
      Resync(attachment, sessions_.at(attachment.session));
    }
    if (attachment.queue.empty()) break;
    Pending& front = attachment.queue.front();
    const ssize_t n = ::send(attachment.stream.get(), front.bytes.data() + attachment.written,
                             front.bytes.size() - attachment.written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) {
      Detached(key);
      return false;
    }
    attachment.written += static_cast<size_t>(n);
    if (attachment.written < front.bytes.size()) continue;
    if (front.type == FrameType::kOutput) attachment.queued_output -= front.payload;
    attachment.queue.pop_front();
    attachment.written = 0;
  }
  if (attachment.queue.empty() && attachment.closing) {
    Drop(key);
    return false;
  }
  UpdateInterest(key, attachment);
  if (attachment.session != 0) {
    const auto s = sessions_.find(attachment.session);
    if (s != sessions_.end() && s->second.held) UpdateHold(s->first, s->second);
  }
  return true;
}
}  // namespace codeyard::local::pod
