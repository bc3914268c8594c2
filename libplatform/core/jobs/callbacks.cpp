// Job callbacks: the URL rule, the body, one HTTP/1.1 POST, and the delivery loop of Jobs.
#include "core/jobs/callbacks.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/errno_text.hpp"
#include "core/jobs/jobs_impl.hpp"
#include "core/json_text.hpp"
#include "core/store/jobs.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace jobs {
namespace {

Error BadUrl(std::string why) {
  return {Error::Code::kInvalidArgument, "field 'callback_url': " + std::move(why)};
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on fd until `deadline`.
Result<void> Await(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Fail(Error::Code::kDeadlineExceeded, "callback: timed out");
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) {
      return Fail(Error::Code::kUnavailable, std::string("callback: poll: ") + ErrnoText(errno));
    }
  }
}

void AppendField(std::string& out, std::string_view key) {
  if (out.size() > 1) out += ',';
  AppendJsonString(out, key);
  out += ':';
}

void AppendInt(std::string& out, std::string_view key, int64_t v) {
  AppendField(out, key);
  out += std::to_string(v);
}

void AppendOptInt(std::string& out, std::string_view key, const std::optional<int64_t>& v) {
  AppendField(out, key);
  out += v ? std::to_string(*v) : "null";
}

void AppendText(std::string& out, std::string_view key, std::string_view v) {
  AppendField(out, key);
  AppendJsonString(out, v);
}

}  // namespace

Result<CallbackTarget> ParseCallbackUrl(std::string_view url,
                                        const std::vector<std::string>& hosts) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() > 2048) return Fail(BadUrl("longer than 2048 bytes"));
  if (!url.starts_with(kScheme)) {
    return Fail(BadUrl("must be an http:// URL (the library speaks no TLS)"));
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find_first_of("/?#");
  CallbackTarget t;
  t.authority = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    path = path.substr(0, path.find('#'));
    t.path = path.front() == '/' ? std::string(path) : "/" + std::string(path);
  }
  for (const char c : t.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Fail(BadUrl("the path holds a space or a control character"));
    }
  }
  if (t.authority.empty() || t.authority.find('@') != std::string::npos) {
    return Fail(BadUrl("needs a host, without user information"));
  }
  std::string lower = t.authority;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t.authority = lower;
  std::string_view host = t.authority;
  const std::size_t close = host.rfind(']');
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    t.port = std::string(host.substr(colon + 1));
    host = host.substr(0, colon);
    if (t.port.empty() || t.port.size() > 5 ||
        !std::all_of(t.port.begin(), t.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(BadUrl("bad port"));
    }
  }
  const std::string host_only(host);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  t.host = std::string(host);
  const bool allowed = std::any_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
    return h == host_only || h == t.authority;
  });
  if (!allowed) {
    return Fail(BadUrl("host \"" + t.authority + "\" is not in jobs.callback_hosts"));
  }
  return t;
}

std::string CallbackBody(const Job& job) {
  std::string out = "{";
  AppendText(out, "id", job.id);
  AppendText(out, "kind", job.kind);
  AppendText(out, "state", JobStateName(job.state));
  AppendInt(out, "attempt", job.attempt);
  AppendInt(out, "created_at", job.created_at);
  AppendOptInt(out, "started_at", job.started_at);
  AppendOptInt(out, "finished_at", job.finished_at);
  AppendText(out, "image", job.image);
  AppendText(out, "verdict", job.verdict);
  if (job.kind == kRunJobKind) {
    if (auto run = DecodeRunResult(job.result)) {
      const ExitStatus& s = run->status;
      AppendOptInt(out, "exit_code",
                   s.exit_code ? std::optional<int64_t>(*s.exit_code) : std::nullopt);
      AppendOptInt(out, "signal", s.signal ? std::optional<int64_t>(*s.signal) : std::nullopt);
      AppendText(out, "stdout", run->stdout_data);
      AppendText(out, "stderr", run->stderr_data);
      AppendInt(out, "cpu_ms", s.cpu_ms);
      AppendInt(out, "wall_ms", s.wall_ms);
      AppendInt(out, "memory_kb", static_cast<int64_t>(s.memory_kb));
      AppendField(out, "output_truncated");
      out += s.output_truncated ? "true" : "false";
      AppendText(out, "compile_output", run->compile_output);
      AppendInt(out, "compile_ms", run->compile_ms);
      AppendText(out, "message", run->message);
    }
  }
  out += '}';
  return out;
}

Result<int> PostJson(const CallbackTarget& target, std::string_view body,
                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &found);
      rc != 0) {
    return Fail(Error::Code::kUnavailable,
                "callback: cannot resolve " + target.host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  Error last(Error::Code::kUnavailable, "callback: no address for " + target.host);
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (s.fd() < 0) continue;
    if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = Error(Error::Code::kUnavailable,
                   "callback: connect to " + target.authority + ": " + ErrnoText(errno));
      continue;
    }
    CY_CHECK(Await(s.fd(), POLLOUT, deadline));
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last = Error(Error::Code::kUnavailable,
                   "callback: connect to " + target.authority + ": " + ErrnoText(err));
      continue;
    }
    std::string request =
        "POST " + target.path + " HTTP/1.1\r\nHost: " + target.authority +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nUser-Agent: codeyard-jobs\r\nConnection: close\r\n\r\n";
    request.append(body);
    std::size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = ::send(s.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        CY_CHECK(Await(s.fd(), POLLOUT, deadline));
      } else {
        return Fail(Error::Code::kUnavailable, std::string("callback: send: ") + ErrnoText(errno));
      }
    }
    std::string head;
    char buf[1024];
    while (head.find("\r\n") == std::string::npos && head.size() < 8192) {
      CY_CHECK(Await(s.fd(), POLLIN, deadline));
      const ssize_t n = ::recv(s.fd(), buf, sizeof(buf), 0);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return Fail(Error::Code::kUnavailable, std::string("callback: recv: ") + ErrnoText(errno));
      }
      head.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 204 No Content"
    if (!head.starts_with("HTTP/1.") || head.size() < 12) {
      return Fail(Error::Code::kUnavailable, "callback: the receiver did not answer HTTP");
    }
    const std::string code = head.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(Error::Code::kUnavailable, "callback: a malformed status line");
    }
    return std::stoi(code);
  }
  return Fail(last);
}

}  // namespace jobs

namespace {

constexpr int64_t kCallbackBatch = 16;
constexpr int64_t kMaxBackoffMs = 300000;
constexpr std::chrono::seconds kDeliveryTimeout{10};

}  // namespace

void Jobs::Impl::CallbackLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    done_cv_.wait_for(lock, options_.poll, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    (void)DeliverCallbacks();
    lock.lock();
  }
}

int Jobs::Impl::DeliverCallbacks() {
  Storage& storage = platform_->storage();
  const int64_t now = platform_->clock().NowMillis();
  // Held for longer than a delivery can take, so that no other process sends it meanwhile.
  const int64_t hold = now + 2 * kDeliveryTimeout.count() * 1000;
  auto due = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
    return store::jobs::TakeDueCallbacks(tx, now, kCallbackBatch, hold);
  });
  if (!due) {
    platform_->logger().Warn("jobs: reading due callbacks failed",
                             {{"error", due.error().ToString()}});
  }
  int delivered_count = 0;
  for (const Job& job : due.value_or(std::vector<Job>{})) {
    Result<int> status = [&]() -> Result<int> {
      CY_TRY(const auto target, jobs::ParseCallbackUrl(job.callback_url, options_.callback_hosts));
      return jobs::PostJson(target, jobs::CallbackBody(job), kDeliveryTimeout);
    }();
    const bool delivered = status && *status >= 200 && *status < 300;
    const int attempts = job.callback_attempts + 1;
    const int64_t after = platform_->clock().NowMillis();
    std::string_view state = "pending";
    int64_t next_at = after + std::min(kMaxBackoffMs, int64_t{1000} << std::min(attempts - 1, 20));
    if (delivered) {
      state = "delivered";
      next_at = after;
      ++delivered_count;
    } else if (attempts >= options_.callback_attempts) {
      state = "failed";
    }
    if (!delivered) {
      platform_->logger().Warn(
          "jobs: callback not delivered",
          {{"job", job.id},
           {"attempt", attempts},
           {"error", status ? "HTTP " + std::to_string(*status) : status.error().ToString()}});
    }
    // Not recorded (a storage error): the delivery stays taken until its hold lapses, then
    // is sent again, so a receiver gets a result at least once and may get it twice.
    auto recorded = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
      return store::jobs::RecordCallback(tx, job.id, state, attempts, next_at);
    });
    if (!recorded) {
      platform_->logger().Warn("jobs: recording a callback failed",
                               {{"job", job.id}, {"error", recorded.error().ToString()}});
    }
    std::lock_guard counted(mu_);
    ++(delivered ? counters_.callbacks_delivered : counters_.callbacks_failed);
  }
  return delivered_count;
}

}  // namespace codeyard
