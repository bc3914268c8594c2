#include "lws_lsp.hpp"

#include <libwebsockets.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "http_errors.hpp"
#include "lws_http.hpp"

namespace codeyard::server {
namespace {

constexpr uint16_t kCloseNotRunning = 4009;

uint16_t CloseCodeFor(const Error& error) {
  switch (error.code()) {
    case Error::Code::kUnauthenticated:
      return kWsCloseUnauthenticated;
    case Error::Code::kNotFound:
      return kWsCloseNotFound;
    case Error::Code::kFailedPrecondition:
      return kCloseNotRunning;
    case Error::Code::kInvalidArgument:
      return kWsClosePolicy;
    case Error::Code::kResourceExhausted:
      return kWsCloseTryAgain;
    default:
      return kWsCloseInternal;
  }
}

}  // namespace

LspSockets::LspSockets(LanguageServers& servers, Accounts& accounts, std::shared_ptr<Logger> logger)
    : LwsWebSocketOf({"lsp",
                      WsGlue::Frames::kText,
                      kMaxLspMessageBytes,
                      {kWsCloseTooBig, "a message is at most 16 MiB"}},
                     std::move(logger)),
      servers_(servers),
      accounts_(accounts) {}

LspSockets::~LspSockets() {
  // Every session's driver is joined here; none posts after its session is gone.
  for (auto& [id, c] : conns()) c.session.reset();
  for (Note& n : notes_.Take()) n.started.reset();
}

bool LspSockets::IsLspPath(std::string_view path, std::string* workspace_id) {
  return IsWorkspaceSocketPath(path, "lsp", workspace_id);
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
      WsGlue::CloseWith(c, {kWsCloseTryAgain, "too many messages before the server started"});
    } else {
      c.early.push_back(std::move(message));
    }
    return;
  }
  auto token = WsGlue::HelloToken(message);
  if (!token) {
    WsGlue::CloseWith(c, {kWsCloseUnauthenticated, token.error().message()});
    return;
  }
  if (auto command = LanguageServerCommand(c.language); !command) {
    WsGlue::CloseWith(c, {kWsClosePolicy, command.error().message()});
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
                  WsClose{kWsCloseUnauthenticated, claims.error().message()}};
        }
        LanguageServerCallbacks callbacks;
        callbacks.on_message = [this, id](std::string m) {
          notes_.Post({id, nullptr, std::move(m), std::nullopt});
          ws().Wake();
        };
        callbacks.on_end = [this, id](const Error& why) {
          notes_.Post({id, nullptr, std::nullopt, WsClose{kWsCloseInternal, why.message()}});
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
  if (!taken) WsGlue::CloseWith(c, {kWsCloseTryAgain, "the server is busy; retry later"});
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
        WsGlue::CloseWith(c,
                          {kWsCloseFellBehind, "the client does not read the server's messages"});
      }
    } else if (n.close) {
      WsGlue::CloseWith(c, std::move(*n.close));
    }
    lws_callback_on_writable(c.wsi);
  }
  if (stopping) CloseAll({kWsCloseGoingAway, "the server is shutting down"});
}

// What the server sent before it ended goes out before the close.
std::optional<std::string> LspSockets::Before(LspConn& c) {
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
