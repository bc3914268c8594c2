#include "lws_lsp.hpp"

#include <libwebsockets.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "http_errors.hpp"
#include "lws_http.hpp"

namespace codeyard::server {
namespace {

constexpr uint16_t kCloseGoingAway = 1001;
constexpr uint16_t kClosePolicy = 1008;
constexpr uint16_t kCloseTooBig = 1009;
constexpr uint16_t kCloseInternal = 1011;
constexpr uint16_t kCloseTryAgain = 1013;
constexpr uint16_t kCloseUnauthenticated = 4001;
constexpr uint16_t kCloseNotFound = 4004;
constexpr uint16_t kCloseFellBehind = 4008;
constexpr uint16_t kCloseNotRunning = 4009;

constexpr std::string_view kPrefix = "/api/v1/workspaces/";
constexpr std::string_view kSuffix = "/lsp";

uint16_t CloseCodeFor(const Error& error) {
  switch (error.code()) {
    case Error::Code::kUnauthenticated:
      return kCloseUnauthenticated;
    case Error::Code::kNotFound:
      return kCloseNotFound;
    case Error::Code::kFailedPrecondition:
      return kCloseNotRunning;
    case Error::Code::kInvalidArgument:
      return kClosePolicy;
    case Error::Code::kResourceExhausted:
      return kCloseTryAgain;
    default:
      return kCloseInternal;
  }
}

}  // namespace

LspSockets::LspSockets(LanguageServers& servers, Accounts& accounts, std::shared_ptr<Logger> logger)
    : LwsWebSocketOf({"lsp",
                      WsGlue::Frames::kText,
                      kMaxLspMessageBytes,
                      {kCloseTooBig, "a message is at most 16 MiB"}},
                     std::move(logger)),
      servers_(servers),
      accounts_(accounts) {}

LspSockets::~LspSockets() {
  // Every session's driver is joined here; none posts after its session is gone.
  for (auto& [id, c] : conns()) c.session.reset();
  for (Note& n : notes_.Take()) n.started.reset();
}

bool LspSockets::IsLspPath(std::string_view path, std::string* workspace_id) {
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return false;
  const std::string_view id =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return false;
  if (workspace_id != nullptr) *workspace_id = std::string(id);
  return true;
}

void LspSockets::Opened(uint64_t /*id*/, LspConn& c, const RequestLine& line) {
  (void)IsLspPath(line.path, &c.workspace_id);
  for (const auto& [name, value] : line.query) {
    if (name == "language") c.language = value;
  }
  logger().Info("lsp connected", {{"request_id", c.request_id},
                                  {"workspace", c.workspace_id},
                                  {"language", ValidUtf8(c.language)}});
}

void LspSockets::OnMessage(uint64_t id, LspConn& c, std::string message) {
  if (c.state == LspState::kRunning) {
    if (auto sent = c.session->Send(std::move(message)); !sent) {
      WsGlue::CloseWith(c, {CloseCodeFor(sent.error()), sent.error().message()});
    }
    return;
  }
  if (c.state == LspState::kStarting) {
    if (c.early.size() >= kMaxEarly) {
      WsGlue::CloseWith(c, {kCloseTryAgain, "too many messages before the server started"});
    } else {
      c.early.push_back(std::move(message));
    }
    return;
  }
  auto token = WsGlue::HelloToken(message);
  if (!token) {
    WsGlue::CloseWith(c, {kCloseUnauthenticated, token.error().message()});
    return;
  }
  if (auto command = LanguageServerCommand(c.language); !command) {
    WsGlue::CloseWith(c, {kClosePolicy, command.error().message()});
    return;
  }
  WsGlue::HelloDone(c);
  c.state = LspState::kStarting;
  // Verifying reads storage and starting waits on the pod: a long-work thread does both.
  const bool taken = ws().Submit<Note>(
      notes_,
      [this, id, token = std::move(*token), workspace = c.workspace_id,
       language = c.language]() -> Note {
        auto claims = accounts_.VerifyAccessToken(token);
        if (!claims) {
          return {id, nullptr, std::nullopt,
                  WsClose{kCloseUnauthenticated, claims.error().message()}};
        }
        LanguageServerCallbacks callbacks;
        callbacks.on_message = [this, id](std::string m) {
          notes_.Post({id, nullptr, std::move(m), std::nullopt});
          ws().Wake();
        };
        callbacks.on_end = [this, id](const Error& why) {
          notes_.Post({id, nullptr, std::nullopt, WsClose{kCloseInternal, why.message()}});
          ws().Wake();
        };
        auto started = servers_.Start(claims->user_id, workspace, language, std::move(callbacks));
        if (!started) {
          return {id, nullptr, std::nullopt,
                  WsClose{CloseCodeFor(started.error()), started.error().message()}};
        }
        return {id, std::shared_ptr<LanguageServerSession>(std::move(*started)), std::nullopt,
                std::nullopt};
      });
  if (!taken) WsGlue::CloseWith(c, {kCloseTryAgain, "the server is busy; retry later"});
}

void LspSockets::OnWake(bool stopping) {
  for (Note& n : notes_.Take()) {
    LspConn* found = Find(n.id);
    if (found == nullptr) {
      Drop(std::move(n.started));  // closed while starting
      continue;
    }
    LspConn& c = *found;
    if (n.started) {
      c.session = std::move(n.started);
      c.state = LspState::kRunning;
      logger().Info("lsp started", {{"request_id", c.request_id}, {"language", c.language}});
      while (!c.early.empty() && !c.close) {
        std::string m = std::move(c.early.front());
        c.early.pop_front();
        OnMessage(n.id, c, std::move(m));
      }
    } else if (n.message) {
      c.out_bytes += n.message->size();
      c.out.push_back(std::move(*n.message));
      if (c.out_bytes > kMaxQueued) {
        WsGlue::CloseWith(c, {kCloseFellBehind, "the client does not read the server's messages"});
      }
    } else if (n.close) {
      WsGlue::CloseWith(c, std::move(*n.close));
    }
    lws_callback_on_writable(c.wsi);
  }
  if (stopping) CloseAll({kCloseGoingAway, "the server is shutting down"});
}

// What the server sent before it ended goes out before the close.
std::optional<WsMessage> LspSockets::Before(LspConn& c) {
  if (c.out.empty()) return std::nullopt;
  std::string message = std::move(c.out.front());
  c.out.pop_front();
  c.out_bytes -= message.size();
  return message;
}

void LspSockets::Closed(uint64_t /*id*/, LspConn& c) { Drop(std::move(c.session)); }

void LspSockets::Drop(std::shared_ptr<LanguageServerSession> session) {
  if (!session) return;
  session->Close();
  // Joining its driver takes a moment (the kill goes through the pod's init): off this thread.
  if (pool() != nullptr && pool()->TrySubmit([s = std::move(session)]() mutable { s.reset(); })) {
    return;
  }
  session.reset();
}

}  // namespace codeyard::server
