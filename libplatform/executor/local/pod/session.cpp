#include "executor/local/pod/session.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <vector>

#include <boost/json.hpp>

#include "executor/local/pod/spawn.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

// What a shell that already exited may still have in its PTY, read before its exit is
// reported; a background process holding the terminal could otherwise write forever.
constexpr size_t kExitDrainBytes = size_t{1} << 20;
// Attachments that have not sent kOpen yet, beyond those the sessions may hold.
constexpr size_t kMaxUnopened = 16;

void SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

std::optional<int64_t> IntField(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= uint64_t{INT64_MAX})
    return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}

// One read buffer for the whole (single-threaded) init.
char g_buffer[kMaxFramePayload];

}  // namespace

void SessionTable::SetInterest(int fd, uint64_t key, uint32_t& current, uint32_t wanted) {
  if (current == wanted) return;
  epoll_event event{};
  event.events = wanted;
  event.data.u64 = key;
  if (current == 0) {
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  } else if (wanted == 0) {
    // Removed, not parked with no events: a hung-up fd reports EPOLLHUP regardless.
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  } else {
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event);
  }
  current = wanted;
}

Result<void> SessionTable::Start(int epoll) {
  epoll_ = epoll;
  timer_.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) return std::unexpected(SystemError("timerfd_create"));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kKeyBase;
  return Check(::epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_.get(), &event), "epoll_ctl");
}

void SessionTable::Attach(UniqueFd stream) {
  const size_t unopened = static_cast<size_t>(std::count_if(
      attachments_.begin(), attachments_.end(), [](const auto& a) { return !a.second.opened; }));
  if (unopened >= kMaxUnopened) return;  // closing the stream is the answer
  SetNonBlocking(stream.get());
  const uint64_t key = next_key_++;
  Attachment& attachment = attachments_[key];
  attachment.stream = std::move(stream);
  UpdateInterest(key, attachment);
}

bool SessionTable::InputPaused(const Attachment& attachment) const {
  if (attachment.session == 0) return false;  // not opened yet, or closing: keep reading
  const auto it = sessions_.find(attachment.session);
  return it != sessions_.end() && it->second.pending_input.size() >= kPendingInputBytes;
}

void SessionTable::UpdateInterest(uint64_t key, Attachment& attachment) {
  uint32_t wanted = EPOLLRDHUP;
  if (!InputPaused(attachment)) wanted |= EPOLLIN;
  // A skipped attachment waits for room to take the scrollback again.
  if (!attachment.queue.empty() || attachment.skipped) wanted |= EPOLLOUT;
  SetInterest(attachment.stream.get(), key, attachment.interest, wanted);
}

void SessionTable::UpdateMaster(uint64_t key, Session& session) {
  uint32_t wanted = 0;
  if (session.master_open) {
    if (!session.held) wanted |= EPOLLIN;
    if (!session.pending_input.empty()) wanted |= EPOLLOUT;
  }
  SetInterest(session.master.get(), key, session.master_interest, wanted);
}

void SessionTable::UpdateAttachments(const Session& session) {
  for (const uint64_t key : session.attachments) {
    const auto it = attachments_.find(key);
    if (it != attachments_.end()) UpdateInterest(key, it->second);
  }
}

void SessionTable::OnEvent(uint64_t key, uint32_t events) {
  if (key == kKeyBase) return OnTimer();
  if (const auto s = sessions_.find(key); s != sessions_.end()) {
    OnMaster(key, s->second, events);
  } else if (const auto a = attachments_.find(key); a != attachments_.end()) {
    OnAttachment(key, a->second, events);
  }
}

void SessionTable::OnMaster(uint64_t key, Session& session, uint32_t events) {
  if ((events & EPOLLOUT) != 0) {
    FlushInput(session);
    UpdateAttachments(session);
  }
  // One chunk per wake-up keeps a flooding shell from starving the rest of the loop.
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) ReadOutput(key, session, kMaxFramePayload);
  UpdateMaster(key, session);
}

void SessionTable::FlushInput(Session& session) {
  while (!session.pending_input.empty() && session.master_open) {
    const ssize_t n =
        ::write(session.master.get(), session.pending_input.data(), session.pending_input.size());
    if (n > 0) {
      session.pending_input.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      session.pending_input.clear();  // the terminal is gone
    }
  }
}

void SessionTable::OnAttachment(uint64_t key, Attachment& attachment, uint32_t events) {
  if ((events & EPOLLOUT) != 0 && !Flush(key, attachment)) return;
  const bool hung_up = (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0;
  if ((events & EPOLLIN) == 0 && !hung_up) return;
  const ssize_t n = ::read(attachment.stream.get(), g_buffer, sizeof(g_buffer));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    Drop(key);  // detached: the session, if any, keeps running
    return;
  }
  if (attachment.closing) return;  // the shell ended: input has nowhere to go
  attachment.reader.Feed(std::string_view(g_buffer, static_cast<size_t>(n)));
  while (auto frame = attachment.reader.Next()) {
    HandleFrame(key, attachment, *frame);
    const auto it = attachments_.find(key);
    if (it == attachments_.end() || it->second.closing) return;
  }
  if (attachment.reader.broken()) {
    Fail(key, attachment, Error(Error::Code::kInvalidArgument, "session: frame too large"));
    return;
  }
  UpdateInterest(key, attachment);
}

void SessionTable::Fail(uint64_t key, Attachment& attachment, const Error& error) {
  if (attachment.session != 0) {
    const auto it = sessions_.find(attachment.session);
    if (it != sessions_.end()) it->second.attachments.erase(key);
  }
  attachment.session = 0;
  attachment.skipped.reset();
  Queue(attachment, FrameType::kError, json::serialize(ErrorMessage(error)));
  attachment.closing = true;
  Flush(key, attachment);
}

void SessionTable::HandleFrame(uint64_t key, Attachment& attachment, const Frame& frame) {
  if (!attachment.opened) {
    if (frame.type != FrameType::kOpen) {
      attachment.opened = true;
      return Fail(key, attachment,
                  Error(Error::Code::kInvalidArgument, "session: the first frame must open"));
    }
    return Open(key, attachment, frame.payload);
  }
  const auto it = sessions_.find(attachment.session);
  if (it == sessions_.end()) return;
  Session& session = it->second;
  switch (frame.type) {
    case FrameType::kInput:
      session.pending_input += frame.payload;
      FlushInput(session);
      UpdateMaster(attachment.session, session);
      UpdateAttachments(session);
      return;
    case FrameType::kResize: {
      const auto body = ParseObject(frame.payload);
      if (!body || !session.master_open) return;
      const auto rows = IntField(*body, "rows");
      const auto cols = IntField(*body, "cols");
      if (!rows || !cols || *rows <= 0 || *cols <= 0 || *rows > 0xffff || *cols > 0xffff) return;
      winsize size{};
      size.ws_row = static_cast<uint16_t>(*rows);
      size.ws_col = static_cast<uint16_t>(*cols);
      ::ioctl(session.master.get(), TIOCSWINSZ, &size);
      return;
    }
    case FrameType::kSignal: {
      const auto body = ParseObject(frame.payload);
      const auto number = body ? IntField(*body, "signal") : std::nullopt;
      if (!number || *number <= 0 || *number >= NSIG) return;
      // As for an exec: SIGKILL takes the shell's whole process group.
      ::kill(*number == SIGKILL ? -session.pid : session.pid, static_cast<int>(*number));
      return;
    }
    default:
      return Fail(key, attachment,
                  Error(Error::Code::kInvalidArgument, "session: unexpected frame"));
  }
}

void SessionTable::Open(uint64_t key, Attachment& attachment, std::string_view payload) {
  attachment.opened = true;
  const auto body = ParseObject(payload);
  const auto* name_value = body ? body->if_contains("name") : nullptr;
  if (name_value == nullptr || !name_value->is_string() ||
      !ValidSessionName(name_value->get_string())) {
    return Fail(key, attachment,
                Error(Error::Code::kInvalidArgument, "session: a name of [a-z0-9._-]{1,64}"));
  }
  const std::string name(name_value->get_string());
  bool started = false;
  uint64_t session_key = 0;
  if (const auto found = by_name_.find(name); found != by_name_.end()) {
    session_key = found->second;
    if (sessions_.at(session_key).attachments.size() >= kMaxAttachments) {
      return Fail(key, attachment,
                  Error(Error::Code::kResourceExhausted, "session " + name + " has " +
                                                             std::to_string(kMaxAttachments) +
                                                             " attachments already"));
    }
  } else {
    // A join (a watcher) never starts a shell: no session of that name is an answer.
    if (const auto* join = body->if_contains("join");
        join != nullptr && join->is_bool() && join->get_bool()) {
      return Fail(key, attachment,
                  Error(Error::Code::kNotFound, "session " + name + " is not running"));
    }
    if (sessions_.size() >= kMaxSessions) {
      return Fail(key, attachment,
                  Error(Error::Code::kResourceExhausted,
                        "the pod runs " + std::to_string(kMaxSessions) + " sessions already"));
    }
    const auto* exec = body->if_contains("exec");
    if (exec == nullptr || !exec->is_object()) {
      return Fail(key, attachment,
                  Error(Error::Code::kInvalidArgument, "session: open needs an exec request"));
    }
    auto request = ExecRequestFromJson(exec->get_object());
    if (!request) return Fail(key, attachment, request.error());
    if (!request->tty) {
      return Fail(key, attachment,
                  Error(Error::Code::kInvalidArgument, "session: the shell needs a terminal"));
    }
    const int64_t start_ms = NowMs();
    const std::optional<uint64_t> oom_kills = PodOomKills();
    auto child = StartChild(*request, {}, filter_);
    if (!child) return Fail(key, attachment, child.error());
    session_key = next_key_++;
    Session& session = sessions_[session_key];
    session.name = name;
    session.pid = child->pid;
    session.master = std::move(child->terminal);
    session.start_ms = start_ms;
    session.cpu_limit_ms = request->cpu_ms;
    session.oom_kills_at_start = oom_kills;
    SetNonBlocking(session.master.get());
    UpdateMaster(session_key, session);
    by_name_.emplace(name, session_key);
    started = true;
  }
  Session& session = sessions_.at(session_key);
  session.attachments.insert(key);
  attachment.session = session_key;
  json::object attached;
  attached["started"] = started;
  attached["pid"] = session.pid;
  Queue(attachment, FrameType::kAttached, json::serialize(attached));
  Resync(attachment, session);
  Flush(key, attachment);
}

bool SessionTable::OnReaped(pid_t pid, int wait_status, const rusage& usage) {
  const auto it = std::find_if(sessions_.begin(), sessions_.end(),
                               [pid](const auto& entry) { return entry.second.pid == pid; });
  if (it == sessions_.end()) return false;
  const uint64_t session_key = it->first;
  Session& session = it->second;
  session.held = false;  // the last drain reads past holders (they are skipped forward)
  session.draining = true;
  ReadOutput(session_key, session, kExitDrainBytes);
  const ExitReport report =
      ReapedReport(wait_status, usage, session.start_ms, session.cpu_limit_ms);
  json::object exit_body = ToJson(report);
  // As the agent's execs (agent_exec.cpp): a SIGKILL while the pod's OOM count rose is the
  // kernel's, for the memory limit. Said only when the count is readable here.
  if (session.oom_kills_at_start) {
    const auto now = report.signal == SIGKILL ? PodOomKills() : session.oom_kills_at_start;
    exit_body["oom_killed"] = now && *now > *session.oom_kills_at_start;
  }
  const std::string exit = json::serialize(exit_body);
  const std::vector<uint64_t> keys(session.attachments.begin(), session.attachments.end());
  for (const uint64_t key : keys) {
    Attachment& attachment = attachments_.at(key);
    if (attachment.skipped) Resync(attachment, session);
    Queue(attachment, FrameType::kExit, exit);
    attachment.closing = true;
    attachment.session = 0;
  }
  SetInterest(session.master.get(), session_key, session.master_interest, 0);
  by_name_.erase(session.name);
  sessions_.erase(it);  // closes the PTY: what still holds the terminal gets SIGHUP
  for (const uint64_t key : keys) {
    const auto a = attachments_.find(key);
    if (a != attachments_.end()) Flush(key, a->second);
  }
  return true;
}

void SessionTable::Detached(uint64_t key) {
  const auto it = attachments_.find(key);
  if (it == attachments_.end()) return;
  it->second.gone = true;
  // The stream ends where the closed side stopped writing, so this reads at most its buffer.
  for (;;) {
    const auto a = attachments_.find(key);
    if (a == attachments_.end()) return;
    Attachment& attachment = a->second;
    if (attachment.closing || attachment.reader.broken()) break;
    const ssize_t n = ::read(attachment.stream.get(), g_buffer, sizeof(g_buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    attachment.reader.Feed(std::string_view(g_buffer, static_cast<size_t>(n)));
    while (auto frame = attachment.reader.Next()) {
      HandleFrame(key, attachment, *frame);
      const auto again = attachments_.find(key);
      if (again == attachments_.end() || again->second.closing) break;
    }
  }
  Drop(key);
}

void SessionTable::Drop(uint64_t key) {
  const auto it = attachments_.find(key);
  if (it == attachments_.end()) return;
  Attachment& attachment = it->second;
  SetInterest(attachment.stream.get(), key, attachment.interest, 0);
  const uint64_t session_key = attachment.session;
  attachments_.erase(it);
  if (session_key != 0) {
    const auto s = sessions_.find(session_key);
    if (s != sessions_.end()) {
      s->second.attachments.erase(key);
      if (s->second.held) UpdateHold(session_key, s->second);  // the holder may be this one
    }
  }
}

}  // namespace codeyard::local::pod
