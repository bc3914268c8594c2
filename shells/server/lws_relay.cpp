#include "lws_relay.hpp"

#include <libwebsockets.h>

#include <cctype>

#include "api_ports.hpp"
#include "http_errors.hpp"
#include "lws_http.hpp"

namespace codeyard::server {
namespace {

constexpr uint16_t kCloseGoingAway = 1001;
constexpr uint16_t kCloseTooBig = 1009;
constexpr uint16_t kCloseInternal = 1011;
constexpr uint16_t kCloseTryAgain = 1013;
constexpr uint16_t kCloseBadGateway = 1014;
constexpr uint16_t kCloseBadRequest = 4000;
constexpr uint16_t kCloseUnauthenticated = 4001;
constexpr uint16_t kCloseNotFound = 4004;
constexpr uint16_t kCloseFellBehind = 4008;

constexpr std::string_view kPrefix = "/api/v1/previews/";
constexpr std::string_view kWorkspaces = "/api/v1/workspaces/";

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

uint16_t CloseCodeFor(const Error& error) {
  switch (error.code()) {
    case Error::Code::kInvalidArgument:
      return kCloseBadRequest;
    case Error::Code::kUnauthenticated:
      return kCloseUnauthenticated;
    case Error::Code::kNotFound:
      return kCloseNotFound;
    case Error::Code::kUnavailable:
      return kCloseBadGateway;
    case Error::Code::kResourceExhausted:
      return kCloseTryAgain;
    default:
      return kCloseInternal;
  }
}

// The query as the program sees it: what the browser sent, re-encoded.
std::string Encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || std::string_view("-._~/").find(ch) != std::string_view::npos) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

PreviewSockets::PreviewSockets(PortRelay& relay, const Accounts* accounts,
                               std::shared_ptr<Logger> logger)
    : relay_(relay), accounts_(accounts), logger_(logger ? std::move(logger) : NullLogger()) {}

PreviewSockets::~PreviewSockets() {
  for (auto& [id, c] : conns_) c.socket.reset();
  for (Note& n : notes_.Take()) n.opened.reset();
}

void PreviewSockets::Bind(WorkerPool* pool, std::function<void()> wake) {
  pool_ = pool;
  text_.Bind(pool, wake);
  binary_.Bind(pool, std::move(wake));
}

bool PreviewSockets::IsPreviewPath(std::string_view path) {
  if (ParsePortsPath(path)) return true;
  if (!path.starts_with(kPrefix)) return false;
  const std::size_t slash = path.find('/', kPrefix.size());
  return slash != std::string_view::npos && slash > kPrefix.size();
}

uint64_t PreviewSockets::Open(lws* wsi) {
  const uint64_t id = next_id_++;
  Conn& c = conns_[id];
  const RequestLine line = ReadRequestLine(wsi);  // before the RawTap turns to frames
  WsGlue::Open(c, wsi);
  WsGlue::HelloDone(c);  // the credential came with the upgrade: no hello
  const std::string_view path = line.path;
  // Who asks: on the capability path its ticket; on the ports path the upgrade's own
  // headers (a bearer token or the preview cookie), read while lws still holds them.
  std::string ticket;
  std::optional<Request> headers;
  std::string workspace_id;
  std::string port_text;
  std::string_view rest;
  if (const auto ports = ParsePortsPath(path)) {
    headers.emplace();
    headers->headers = CaptureHeaders(wsi);
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
  request.target = Encode(rest);
  for (std::size_t i = 0; i < line.query.size(); ++i) {
    request.target += i == 0 ? '?' : '&';
    request.target += Encode(line.query[i].first);
    if (!line.query[i].second.empty()) request.target += "=" + Encode(line.query[i].second);
  }
  logger_->Info("preview websocket connected", {{"request_id", c.request_id}});
  // Checking the credential reads storage and the handshake waits on the program: long work.
  const bool taken = text_.Submit<Note>(
      notes_,
      [this, id, ticket = std::move(ticket), headers = std::move(headers),
       workspace_id = std::move(workspace_id), port_text = std::move(port_text),
       request = std::move(request)]() -> Note {
        auto refuse = [id](const Error& why) -> Note {
          return {id, nullptr, std::nullopt, WsClose{CloseCodeFor(why), why.message()}};
        };
        PreviewGrant grant;
        if (headers) {
          auto port = PortRelay::ParsePort(port_text);
          if (!port) return refuse(port.error());
          if (accounts_ == nullptr) {
            return refuse(Error(Error::Code::kUnauthenticated,
                                "preview: this server checks no credentials on the ports path"));
          }
          auto user = PreviewCaller(*accounts_, relay_, *headers, workspace_id, *port);
          if (!user) return refuse(user.error());
          grant = {std::move(*user), workspace_id, *port};
        } else {
          auto opened = relay_.OpenPreview(ticket);
          if (!opened) return refuse(opened.error());
          grant = std::move(*opened);
        }
        RelayWsCallbacks callbacks;
        callbacks.on_message = [this, id](bool binary, std::string m) {
          notes_.Post({id, nullptr, Message{binary, std::move(m)}, std::nullopt});
          text_.Wake();
        };
        callbacks.on_end = [this, id](const Error& why) {
          notes_.Post({id, nullptr, std::nullopt, WsClose{kCloseInternal, why.message()}});
          text_.Wake();
        };
        auto socket = relay_.OpenWebSocket(grant.user_id, grant.workspace_id, grant.port, request,
                                           std::move(callbacks));
        if (!socket) return refuse(socket.error());
        return {id, std::shared_ptr<RelayWebSocket>(std::move(*socket)), std::nullopt,
                std::nullopt};
      });
  if (!taken) WsGlue::CloseWith(c, {kCloseTryAgain, "the server is busy; retry later"});
  return id;
}

void PreviewSockets::OnUnmaskedFrame(int fd) { WsGlue::CloseUnmasked(conns_, fd); }

int PreviewSockets::OnReceive(uint64_t id, const void* in, std::size_t len) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  if (c.close) return 0;
  auto message =
      WsGlue::Assemble(c, in, len, kMaxMessage, {kCloseTooBig, "a message is at most 16 MiB"});
  if (!message) return 0;
  Forward(c, Message{lws_frame_is_binary(c.wsi) != 0, std::move(*message)});
  if (c.close) lws_callback_on_writable(c.wsi);
  return 0;
}

void PreviewSockets::Forward(Conn& c, Message message) {
  if (c.opening) {
    if (c.early.size() >= kMaxEarly) {
      WsGlue::CloseWith(c, {kCloseTryAgain, "too many messages before the program's socket"});
    } else {
      c.early.push_back(std::move(message));
    }
    return;
  }
  if (!c.socket) return;
  if (auto sent = c.socket->Send(message.binary, std::move(message.data)); !sent) {
    WsGlue::CloseWith(c, {CloseCodeFor(sent.error()), sent.error().message()});
  }
}

void PreviewSockets::OnWake(bool stopping) {
  for (Note& n : notes_.Take()) {
    const auto it = conns_.find(n.id);
    if (it == conns_.end()) {
      Drop(std::move(n.opened));  // closed while opening
      continue;
    }
    Conn& c = it->second;
    if (n.opened) {
      c.socket = std::move(n.opened);
      c.opening = false;
      while (!c.early.empty() && !c.close) {
        Message m = std::move(c.early.front());
        c.early.pop_front();
        Forward(c, std::move(m));
      }
    } else if (n.message) {
      c.out_bytes += n.message->data.size();
      c.out.push_back(std::move(*n.message));
      if (c.out_bytes > kMaxQueued) {
        WsGlue::CloseWith(c,
                          {kCloseFellBehind, "the browser does not read the program's messages"});
      }
    } else if (n.close) {
      c.opening = false;
      WsGlue::CloseWith(c, std::move(*n.close));
    }
    lws_callback_on_writable(c.wsi);
  }
  if (stopping) {
    for (auto& [id, c] : conns_) {
      WsGlue::CloseWith(c, {kCloseGoingAway, "the server is shutting down"});
      lws_callback_on_writable(c.wsi);
    }
  }
}

int PreviewSockets::OnWriteable(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return -1;
  Conn& c = it->second;
  // What the program sent before it closed goes out before the close.
  if (!c.out.empty()) {
    const Message message = std::move(c.out.front());
    c.out.pop_front();
    c.out_bytes -= message.data.size();
    WsGlue& glue = message.binary ? binary_ : text_;
    if (glue.Write(c, message.data) != 0) return -1;
    lws_callback_on_writable(c.wsi);
    return 0;
  }
  if (c.close) {
    const std::string reason = WsGlue::SendClose(c, *c.close);
    logger_->Info("preview websocket closing", {{"request_id", c.request_id},
                                                {"code", static_cast<int>(c.close->code)},
                                                {"reason", ValidUtf8(reason)}});
    return -1;
  }
  return 0;
}

int PreviewSockets::OnTimer(uint64_t /*id*/) { return 0; }

void PreviewSockets::OnClosed(uint64_t id) {
  const auto it = conns_.find(id);
  if (it == conns_.end()) return;
  logger_->Info("preview websocket disconnected",
                {{"request_id", it->second.request_id}, {"duration_ms", it->second.age_ms()}});
  Drop(std::move(it->second.socket));
  conns_.erase(it);
}

void PreviewSockets::Drop(std::shared_ptr<RelayWebSocket> socket) {
  if (!socket) return;
  socket->Close();
  // Joining its threads waits for them to see the shutdown: off this thread.
  if (pool_ != nullptr && pool_->TrySubmit([s = std::move(socket)]() mutable { s.reset(); })) {
    return;
  }
  socket.reset();
}

}  // namespace codeyard::server
