#include "lws_raw_tap.hpp"

// No <sys/socket.h> here: with _FORTIFY_SOURCE it defines recv itself (an inline wrapper),
// which would clash with the definition below; shutdown(2) is declared by hand.
#include <dlfcn.h>
#include <sys/types.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace codeyard::server {
namespace {

thread_local RawTap* t_tap = nullptr;

constexpr int kMsgPeek = 2;   // MSG_PEEK on Linux: a peek consumes nothing, so is not recorded
constexpr int kShutRdWr = 2;  // SHUT_RDWR

// Where the head that starts `head` ends (one past its empty line), or npos. Leading empty
// lines are part of it (RFC 9112 §2.2 lets a server skip them).
std::size_t HeadEnd(std::string_view head) {
  std::size_t i = 0;
  while (i < head.size() && (head[i] == '\r' || head[i] == '\n')) ++i;
  for (std::size_t lf = head.find('\n', i); lf != std::string_view::npos;
       lf = head.find('\n', lf + 1)) {
    if (lf + 1 < head.size() && head[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < head.size() && head[lf + 1] == '\r' && head[lf + 2] == '\n') return lf + 3;
  }
  return std::string_view::npos;
}

}  // namespace

RawTap::RawTap() { t_tap = this; }

RawTap::~RawTap() {
  if (t_tap == this) t_tap = nullptr;
}

void RawTap::Watch(int fd) {
  if (fd >= 0) streams_[fd] = Stream();
}

void RawTap::Forget(int fd) { streams_.erase(fd); }

RawTap* RawTap::OfThisThread() { return t_tap; }

bool RawTap::TakeRequestLine(int fd) {
  const auto it = streams_.find(fd);
  if (it == streams_.end() || it->second.frames) return false;
  Stream& s = it->second;
  s.line.reset();
  const std::size_t end = HeadEnd(s.head);
  if (end == std::string::npos) return false;
  std::size_t start = 0;
  while (s.head[start] == '\r' || s.head[start] == '\n') ++start;
  std::size_t stop = s.head.find('\n', start);
  if (stop > start && s.head[stop - 1] == '\r') --stop;
  s.line = s.head.substr(start, stop - start);
  s.head.erase(0, end);
  return true;
}

const std::string* RawTap::CurrentRequestLine(int fd) const {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return nullptr;
  const std::optional<std::string>& line = it->second.line;
  return line.has_value() ? &line.value() : nullptr;
}

void RawTap::SkipBody(int fd, uint64_t bytes) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  const auto now = static_cast<std::size_t>(std::min<uint64_t>(bytes, s.head.size()));
  s.head.erase(0, now);
  s.skip = bytes - now;
}

void RawTap::WatchFrames(int fd) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  s.frames = true;
  // What came after the handshake's head already is the first frames.
  const std::string rest = std::move(s.head);
  s.head.clear();
  s.head.shrink_to_fit();
  RecordFrames(fd, s, reinterpret_cast<const unsigned char*>(rest.data()), rest.size());
}

bool RawTap::PassEnd(int fd) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return true;
  const bool first = !it->second.ended;
  it->second.ended = true;
  return first;
}

void RawTap::Record(int fd, unsigned char* data, std::size_t n) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (s.frames) {
    RecordFrames(fd, s, data, n);
    return;
  }
  const auto skipped = static_cast<std::size_t>(std::min<uint64_t>(s.skip, n));
  s.skip -= skipped;
  data += skipped;
  n -= skipped;
  if (n == 0 || s.overflow) return;
  if (s.head.size() + n > kMaxHeadBytes) {
    s.overflow = true;  // lws refuses such a head itself; keep what fits
    n = kMaxHeadBytes - s.head.size();
  }
  const std::size_t old_size = s.head.size();
  s.head.append(reinterpret_cast<const char*>(data), n);
  Defuse(s.head, old_size, data);
}

// lws's parser ends the request line at a decoded CR or LF (the rest of the line then spills
// into the headers, so even Authorization may be lost) and drops the connection unanswered at
// a decoded NUL. What lws parses of an escape for one of them in the next request line is made
// %01 instead: the server reads the target from the recorded original (which it refuses with
// a 400), and lws's reading of the headers stays right. Each escape is looked at once, when its
// last digit arrives, which is then in `fresh` (the bytes lws is about to parse).
void RawTap::Defuse(const std::string& head, std::size_t old_size, unsigned char* fresh) {
  std::size_t start = 0;
  while (start < head.size() && (head[start] == '\r' || head[start] == '\n')) ++start;
  const std::size_t end = std::min(head.find('\n', start), head.size());
  const std::size_t from = old_size >= 2 ? std::max(start, old_size - 2) : start;
  for (std::size_t i = head.find('%', from); i != std::string::npos && i + 2 < end;
       i = head.find('%', i + 1)) {
    if (i + 2 < old_size || head[i + 1] != '0') continue;
    const char lo = head[i + 2];
    if (lo == '0' || lo == 'a' || lo == 'A' || lo == 'd' || lo == 'D')
      fresh[i + 2 - old_size] = '1';
  }
}

// RFC 6455 §5.2: byte 0 FIN/RSV/opcode; byte 1 MASK and a 7-bit length (126: 16-bit length
// follows, 127: 64-bit); then the 4-byte masking key when MASK is set; then the payload.
void RawTap::RecordFrames(int fd, Stream& s, const unsigned char* data, std::size_t n) {
  while (n > 0 && !s.unmasked) {
    if (s.payload_left > 0) {
      const auto k = static_cast<std::size_t>(std::min<uint64_t>(s.payload_left, n));
      s.payload_left -= k;
      data += k;
      n -= k;
      continue;
    }
    s.header[s.header_len++] = *data++;
    --n;
    if (s.header_len < 2) continue;
    const bool masked = (s.header[1] & 0x80) != 0;
    if (!masked) {
      s.unmasked = true;
      if (on_unmasked_) on_unmasked_(fd);
      return;
    }
    const unsigned len7 = s.header[1] & 0x7f;
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (s.header_len < 2 + ext + 4) continue;
    uint64_t length = len7;
    if (ext > 0) {
      length = 0;
      for (std::size_t i = 0; i < ext; ++i) length = (length << 8) | s.header[2 + i];
    }
    s.payload_left = length;
    s.header_len = 0;
  }
}

}  // namespace codeyard::server

extern "C" int shutdown(int fd, int how) noexcept;

// The interposed recv(2): the real one, then the calling thread's tap, if any.
extern "C" ssize_t recv(int fd, void* buf, size_t n, int flags) {
  using RecvFn = ssize_t (*)(int, void*, size_t, int);
  static const auto real = reinterpret_cast<RecvFn>(dlsym(RTLD_NEXT, "recv"));
  const ssize_t got = real(fd, buf, n, flags);
  codeyard::server::RawTap* tap = codeyard::server::t_tap;
  if (tap == nullptr || (flags & codeyard::server::kMsgPeek) != 0) return got;
  if (got > 0) {
    tap->Record(fd, static_cast<unsigned char*>(buf), static_cast<std::size_t>(got));
    return got;
  }
  const bool retry = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  if (retry || tap->PassEnd(fd)) return got;
  (void)shutdown(fd, codeyard::server::kShutRdWr);
  errno = EAGAIN;
  return -1;
}
