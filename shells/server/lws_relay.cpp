#include "lws_relay.hpp"

#include <fcntl.h>
#include <libwebsockets.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "api_ports.hpp"
#include "core/http_text.hpp"
#include "http_errors.hpp"
#include "lws_http.hpp"
#include "security_headers.hpp"

namespace codeyard::server {
namespace {

constexpr std::string_view kPrefix = "/api/v1/previews/";
constexpr std::string_view kWorkspaces = "/api/v1/workspaces/";
// Bytes moved per read each way once switched.
constexpr std::size_t kPumpChunk = std::size_t{64} << 10;

// "/api/v1/workspaces/<id>/ports/<port>/<rest>": the id, the port's text and "/<rest>";
// nullopt for any other path.
struct PortsPath {
  std::string_view workspace_id;
  std::string_view port;
  std::string_view rest;
};
std::optional<PortsPath> ParsePortsPath(std::string_view path) {
  if (!path.starts_with(kWorkspaces)) return std::nullopt;
  path.remove_prefix(kWorkspaces.size());
  const std::size_t slash = path.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  PortsPath out;
  out.workspace_id = path.substr(0, slash);
  path.remove_prefix(slash);
  if (!path.starts_with("/ports/")) return std::nullopt;
  path.remove_prefix(7);
  const std::size_t end = path.find('/');
  if (end == 0 || end == std::string_view::npos) return std::nullopt;
  out.port = path.substr(0, end);
  out.rest = path.substr(end);
  return out;
}

// The handshake's own headers, which CaptureHeaders does not keep.
void AddHandshakeHeaders(lws* wsi, Fields& headers) {
  struct Token {
    lws_token_indexes token;
    const char* name;
  };
  static constexpr Token kTokens[] = {{WSI_TOKEN_KEY, "sec-websocket-key"},
                                      {WSI_TOKEN_VERSION, "sec-websocket-version"},
                                      {WSI_TOKEN_PROTOCOL, "sec-websocket-protocol"},
                                      {WSI_TOKEN_EXTENSIONS, "sec-websocket-extensions"}};
  for (const Token& t : kTokens) {
    const int n = lws_hdr_total_length(wsi, t.token);
    if (n <= 0) continue;
    std::string value(static_cast<std::size_t>(n) + 1, '\0');
    const int got = lws_hdr_copy(wsi, value.data(), n + 1, t.token);
    if (got < 0) continue;
    value.resize(static_cast<std::size_t>(got));
    headers.emplace_back(t.name, std::move(value));
  }
}

// 0: none (a send waits as long as the browser does not read).
void SetSendTimeout(int fd, std::chrono::seconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A status line and headers; `headers` are the program's (or ours), written as given.
std::string Head(int status, const Fields& headers, std::string_view request_id) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(http::ReasonPhrase(status)) + "\r\n";
  for (const auto& [name, value] : headers) {
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "X-Request-Id: " + std::string(request_id) + "\r\n";
  return out;
}

// The relay's own refusal: the API's JSON error, then the connection closes.
std::string ErrorAnswer(const Error& error, std::string_view request_id) {
  // The gateway is fine; what is behind it is not there or not well: 502, as a proxy says.
  const int status = error.code() == Error::Code::kUnavailable ? 502 : HttpStatus(error.code());
  const Response r = ErrorResponse(status, error, request_id);
  Fields headers = {{"Content-Type", r.content_type},
                    {"Content-Length", std::to_string(r.body.size())},
                    {"Cache-Control", std::string(kApiCacheControl)},
                    {"X-Content-Type-Options", std::string(kContentTypeOptions)},
                    {"Content-Security-Policy", std::string(kPreviewPolicy)},
                    {"Connection", "close"}};
  for (const auto& field : r.headers) headers.push_back(field);  // Retry-After
  return Head(r.status, headers, request_id) + "\r\n" + r.body;
}

// The program's headers as the browser gets them: the server's own ones are the server's.
Fields ProgramHeaders(const HeaderFields& from) {
  Fields out;
  for (const auto& [name, value] : from) {
    if (!IsServerHeader(name) && name != "content-type") out.emplace_back(name, value);
  }
  return out;
}

}  // namespace

// One connection taken from lws. Its socket is blocking and ours; after the 101 two threads
// move bytes, one each way.
struct PreviewSockets::Relay {
  uint64_t id = 0;
  int fd = -1;
  std::string address;
  std::string request_id;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::mutex mu;
  bool stopped = false;                 // guarded by mu
  std::shared_ptr<PortStream> stream;   // guarded by mu; set once switched
  std::thread up;                       // browser -> program
  std::thread down;                     // program -> browser
  std::atomic<int> left{1};             // parties that still report (the handshake, then 2)
  std::atomic<uint64_t> to_program{0};  // bytes, for the log
  std::atomic<uint64_t> to_browser{0};

  ~Relay() {
    if (up.joinable()) up.join();
    if (down.joinable()) down.join();
    if (fd >= 0) ::close(fd);
  }

  // Ends both ways at once: a blocked read or write on either side returns.
  void Abort() {
    std::shared_ptr<PortStream> s;
    {
      std::lock_guard lock(mu);
      stopped = true;
      s = stream;
    }
    ::shutdown(fd, SHUT_RDWR);
    if (s) s->Shutdown();
  }
};

PreviewSockets::PreviewSockets(PortRelay& relay, const Accounts* accounts,
                               std::shared_ptr<Logger> logger)
    : relay_(relay), accounts_(accounts), logger_(logger ? std::move(logger) : NullLogger()) {}

PreviewSockets::~PreviewSockets() {
  for (auto& [id, r] : relays_) r->Abort();
}

void PreviewSockets::Bind(WorkerPool* pool, std::function<void()> wake,
                          std::function<void(const std::string&)> released) {
  pool_ = pool;
  wake_ = std::move(wake);
  released_ = std::move(released);
}

bool PreviewSockets::IsPreviewPath(std::string_view path) {
  if (ParsePortsPath(path)) return true;
  if (!path.starts_with(kPrefix)) return false;
  const std::size_t slash = path.find('/', kPrefix.size());
  return slash != std::string_view::npos && slash > kPrefix.size();
}

int PreviewSockets::TakeOver(lws* wsi, std::string address) {
  const RequestLine line = ReadRequestLine(wsi);
  const std::string_view path = line.path;
  Request headers;  // the upgrade's headers: credentials, Origin, the handshake's own
  headers.headers = CaptureHeaders(wsi);
  AddHandshakeHeaders(wsi, headers.headers);
  std::string ticket;
  std::string workspace_id;
  std::string port_text;
  std::string_view rest;
  const auto ports = ParsePortsPath(path);
  if (ports) {
    workspace_id = ports->workspace_id;
    port_text = ports->port;
    rest = ports->rest;
  } else {
    const std::size_t slash = path.find('/', kPrefix.size());
    ticket = path.substr(kPrefix.size(), slash - kPrefix.size());
    rest = path.substr(slash);
  }
  RelayRequest request;
  request.method = "GET";
  request.target = http::EncodeTarget(rest, line.query);
  for (const auto& [name, value] : headers.headers) {
    if (name != "authorization" && name != "cookie") request.headers.emplace_back(name, value);
  }

  // The socket becomes ours; lws's number now names a socket whose peer has gone, which lws
  // closes as it would any (lws_relay.hpp).
  const int fd = lws_get_socket_fd(wsi);
  int spare[2] = {-1, -1};
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, spare) != 0 ||
      ::dup2(spare[0], fd) < 0) {
    logger_->Warn("preview websocket not taken over", {{"errno", errno}});
    if (own >= 0) ::close(own);
    if (spare[0] >= 0) ::close(spare[0]);
    if (spare[1] >= 0) ::close(spare[1]);
    return -1;
  }
  ::close(spare[0]);
  ::close(spare[1]);
  (void)::fcntl(own, F_SETFL, ::fcntl(own, F_GETFL) & ~O_NONBLOCK);
  // Until the switch a browser that reads nothing must not hold a long-work thread for ever.
  SetSendTimeout(own, std::chrono::duration_cast<std::chrono::seconds>(relay_.options().timeout));

  auto r = std::make_shared<Relay>();
  r->id = next_id_++;
  r->fd = own;
  r->address = std::move(address);
  r->request_id = IncomingOrNewRequestId(wsi);
  relays_.emplace(r->id, r);
  logger_->Info("preview websocket taken over", {{"request_id", r->request_id}});

  auto report = [ended_mu = ended_mu_, ended = ended_, wake = wake_](Relay& relay) {
    if (relay.left.fetch_sub(1) != 1) return;
    {
      std::lock_guard lock(*ended_mu);
      ended->push_back(relay.id);
    }
    if (wake) wake();
  };
  // Checking the credential reads storage and the handshake waits on the program: long work.
  auto handshake = [this, r, report, ticket = std::move(ticket), headers = std::move(headers),
                    workspace_id = std::move(workspace_id), port_text = std::move(port_text),
                    ports_path = ports.has_value(), request = std::move(request)]() {
    const auto refuse = [&](const Error& why) {
      (void)WriteAll(r->fd, ErrorAnswer(why, r->request_id));
      ::shutdown(r->fd, SHUT_WR);
      logger_->Info("preview websocket refused",
                    {{"request_id", r->request_id}, {"error", why.message()}});
      report(*r);
    };
    PreviewGrant grant;
    std::string public_prefix;
    if (ports_path) {
      auto port = PortRelay::ParsePort(port_text);
      if (!port) return refuse(port.error());
      if (accounts_ == nullptr) {
        return refuse(Error(Error::Code::kUnauthenticated,
                            "preview: this server checks no credentials on the ports path"));
      }
      auto user = PreviewCaller(*accounts_, relay_, headers, workspace_id, *port);
      if (!user) return refuse(user.error());
      grant = {std::move(*user), workspace_id, *port};
    } else {
      auto opened = relay_.OpenPreview(ticket);
      if (!opened) return refuse(opened.error());
      grant = std::move(*opened);
      public_prefix = PortRelay::CapabilityPrefix(ticket);
    }
    auto answer =
        relay_.Upgrade(grant.user_id, grant.workspace_id, grant.port, request, public_prefix);
    if (!answer) return refuse(answer.error());
    Fields program = ProgramHeaders(answer->headers);
    if (answer->status != 101) {
      // The program's refusal as it is, its body as it comes; the connection then closes.
      RelayReply& reply = *answer->refusal;
      for (const auto& [name, value] : answer->headers) {
        if (name == "content-type") program.emplace_back("Content-Type", value);
      }
      if (reply.length) program.emplace_back("Content-Length", std::to_string(*reply.length));
      program.emplace_back("Content-Security-Policy", std::string(kPreviewPolicy));
      program.emplace_back("Connection", "close");
      if (WriteAll(r->fd, Head(answer->status, program, r->request_id) + "\r\n") &&
          reply.has_body) {
        (void)reply.Pump([fd = r->fd](std::string_view bytes) { return WriteAll(fd, bytes); });
      }
      ::shutdown(r->fd, SHUT_WR);
      logger_->Info("preview websocket refused by the program",
                    {{"request_id", r->request_id}, {"status", answer->status}});
      report(*r);
      return;
    }
    program.emplace_back("Upgrade", "websocket");
    program.emplace_back("Connection", "Upgrade");
    if (!WriteAll(r->fd, Head(101, program, r->request_id) + "\r\n" + answer->early)) {
      answer->stream->Shutdown();
      report(*r);
      return;
    }
    SetSendTimeout(r->fd, std::chrono::seconds(0));  // from here its own threads wait on it
    {
      std::lock_guard lock(r->mu);
      r->stream = std::move(answer->stream);
      if (r->stopped) r->stream->Shutdown();
    }
    // From here two threads report, and this one does not.
    r->left.store(2);
    Relay* raw = r.get();
    raw->up = std::thread([raw, report] {
      std::string buffer(kPumpChunk, '\0');
      bool clean = false;
      while (true) {
        const ssize_t n = ::read(raw->fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) clean = raw->stream->CloseWrite().has_value();
        if (n <= 0) break;
        raw->to_program += static_cast<uint64_t>(n);
        if (!raw->stream->Write(std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                                std::nullopt)) {
          break;
        }
      }
      if (!clean) raw->Abort();
      report(*raw);
    });
    raw->down = std::thread([raw, report] {
      bool clean = false;
      while (true) {
        auto got = raw->stream->Read(kPumpChunk, std::nullopt);
        if (!got) break;
        if (got->empty()) {
          clean = ::shutdown(raw->fd, SHUT_WR) == 0;
          break;
        }
        raw->to_browser += got->size();
        if (!WriteAll(raw->fd, *got)) break;
      }
      if (!clean) raw->Abort();
      report(*raw);
    });
    logger_->Info("preview websocket switched", {{"request_id", r->request_id}});
  };
  if (pool_ == nullptr || !pool_->TrySubmit(std::move(handshake))) {
    // Best effort, the socket being fresh: its send buffer takes a short answer at once.
    (void)::fcntl(own, F_SETFL, ::fcntl(own, F_GETFL) | O_NONBLOCK);
    (void)WriteAll(own, ErrorAnswer(Error(Error::Code::kUnavailable,
                                          "preview: the server is busy; retry later")
                                        .WithLimit("server.max_long_requests", 2),
                                    r->request_id));
    r->left.store(0);
    std::lock_guard lock(*ended_mu_);
    ended_->push_back(r->id);
    if (wake_) wake_();
  }
  return -1;
}

void PreviewSockets::OnWake(bool stopping) {
  std::vector<uint64_t> ended;
  {
    std::lock_guard lock(*ended_mu_);
    ended.swap(*ended_);
  }
  for (const uint64_t id : ended) {
    const auto it = relays_.find(id);
    if (it == relays_.end()) continue;
    Relay& r = *it->second;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - r.started)
                        .count();
    logger_->Info("preview websocket ended",
                  {{"request_id", r.request_id},
                   {"duration_ms", static_cast<int64_t>(ms)},
                   {"bytes_to_program", static_cast<int64_t>(r.to_program.load())},
                   {"bytes_to_browser", static_cast<int64_t>(r.to_browser.load())}});
    if (released_) released_(r.address);
    Drop(std::move(it->second));
    relays_.erase(it);
  }
  if (stopping) {
    for (auto& [id, r] : relays_) r->Abort();
  }
}

void PreviewSockets::Drop(std::shared_ptr<Relay> relay) {
  // Its threads have reported, so they are ending: joining them is off this thread anyway.
  if (pool_ != nullptr && pool_->TrySubmit([r = std::move(relay)]() mutable { r.reset(); })) {
    return;
  }
  relay.reset();
}

}  // namespace codeyard::server
