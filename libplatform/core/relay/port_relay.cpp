#include "codeyard/port_relay.hpp"

#include <sodium.h>

#include <array>
#include <charconv>

#include "codeyard/platform.hpp"
#include "codeyard/workspaces.hpp"
#include "core/auth/tokens.hpp"
#include "core/relay/http_exchange.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"

namespace codeyard {
namespace {

// Tickets are signed with HMAC-SHA256(secret, this label), never with the secret itself, so
// no ticket verifies as an access token (or the reverse) even where both formats could meet.
constexpr std::string_view kTicketKeyLabel = "codeyard preview ticket v2";

std::string Hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

Error Refused(std::string_view why) {
  return Error(Error::Code::kUnauthenticated, "preview: " + std::string(why));
}

}  // namespace

PortRelay::PortRelay(std::shared_ptr<Platform> platform, std::shared_ptr<Workspaces> workspaces,
                     PortRelayOptions options)
    : platform_(std::move(platform)),
      workspaces_(std::move(workspaces)),
      options_(std::move(options)),
      key_(Hmac(options_.secret, kTicketKeyLabel)) {}

void PortRelay::SetSharePolicy(PreviewSharePolicy policy) {
  std::lock_guard lock(policy_mu_);
  share_policy_ = std::move(policy);
}

Result<void> PortRelay::Admit(std::string_view user_id, std::string_view workspace_id) const {
  auto own = workspaces_->Get(user_id, workspace_id);
  if (own) return {};
  if (own.error().code() != Error::Code::kNotFound) return std::unexpected(own.error());
  PreviewSharePolicy policy;
  {
    std::lock_guard lock(policy_mu_);
    policy = share_policy_;
  }
  if (!policy) return std::unexpected(own.error());
  auto shared = policy(user_id, workspace_id);
  if (shared) return {};
  // The policy's own not-found says "terminals: ..."; the relay's caller sees the relay's.
  if (shared.error().code() == Error::Code::kNotFound) return std::unexpected(own.error());
  return std::unexpected(shared.error());
}

Result<uint16_t> PortRelay::ParsePort(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 5 || ec != std::errc() || end != text.data() + text.size() ||
      text.front() == '0' || value < 1 || value > 65535) {
    return Fail(Error::Code::kInvalidArgument,
                "preview: a port is a number from 1 to 65535, not \"" +
                    std::string(text.substr(0, 16)) + "\"");
  }
  return static_cast<uint16_t>(value);
}

std::string PortRelay::Prefix(std::string_view workspace_id, uint16_t port) {
  return "/api/v1/workspaces/" + std::string(workspace_id) + "/ports/" + std::to_string(port) + "/";
}

std::string PortRelay::CapabilityPrefix(std::string_view token) {
  return "/api/v1/previews/" + std::string(token) + "/";
}

Result<PreviewTicket> PortRelay::IssuePreview(std::string_view user_id, std::string_view session_id,
                                              std::string_view workspace_id, uint16_t port) {
  if (port == 0) return Fail(Error::Code::kInvalidArgument, "preview: port 0 is not a port");
  // kNotFound for anyone else's; a reviewer's ticket carries the reviewer, and every request
  // made with it asks the share policy again (Connect).
  if (auto admitted = Admit(user_id, workspace_id); !admitted) {
    return std::unexpected(admitted.error());
  }
  PreviewTicket ticket;
  ticket.expires_unix_ms =
      platform_->clock().NowMillis() +
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.preview_ttl).count();
  // user|login|workspace|port|expiry: ids never contain '|'.
  const std::string claims = std::string(user_id) + "|" + std::string(session_id) + "|" +
                             std::string(workspace_id) + "|" + std::to_string(port) + "|" +
                             std::to_string(ticket.expires_unix_ms);
  ticket.token = auth::Base64UrlEncode(claims) + "." + auth::Base64UrlEncode(Hmac(key_, claims));
  ticket.prefix = Prefix(workspace_id, port);
  ticket.url = CapabilityPrefix(ticket.token);
  return ticket;
}

Result<PreviewGrant> PortRelay::OpenPreview(std::string_view token) const {
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::unexpected(Refused("malformed ticket"));
  const auto claims = auth::Base64UrlDecode(token.substr(0, dot));
  const auto mac = auth::Base64UrlDecode(token.substr(dot + 1));
  if (!claims || !mac) return std::unexpected(Refused("malformed ticket"));
  const std::string expected = Hmac(key_, *claims);
  if (mac->size() != expected.size() ||
      sodium_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
    return std::unexpected(Refused("bad ticket signature"));
  }
  std::array<std::string_view, 5> parts{};
  std::string_view rest = *claims;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t bar = i + 1 < parts.size() ? rest.find('|') : rest.size();
    if (bar == std::string_view::npos) return std::unexpected(Refused("malformed ticket"));
    parts.at(i) = rest.substr(0, bar);
    rest = bar < rest.size() ? rest.substr(bar + 1) : std::string_view();
  }
  int64_t expires = 0;
  const auto [end, ec] =
      std::from_chars(parts[4].data(), parts[4].data() + parts[4].size(), expires);
  if (ec != std::errc() || end != parts[4].data() + parts[4].size()) {
    return std::unexpected(Refused("malformed ticket"));
  }
  auto port = ParsePort(parts[3]);
  if (!port) return std::unexpected(Refused("malformed ticket"));
  if (platform_->clock().NowMillis() >= expires) {
    return std::unexpected(Refused("the ticket has expired; open the preview again"));
  }
  // Logout, a password change or disabling the user ends the login, and with it the ticket.
  auto standing = store::Transact(platform_->storage(), TxKind::kRead,
                                  [&](Transaction& tx) -> Result<store::users::Standing> {
                                    auto got = store::users::GetStanding(tx, parts[0], parts[1]);
                                    if (!got && got.error().code() == Error::Code::kNotFound) {
                                      return store::users::Standing{.disabled = true};
                                    }
                                    return got;
                                  });
  if (!standing) return std::unexpected(standing.error());
  if (standing->disabled || !standing->session_live) {
    return std::unexpected(Refused("the login the ticket was made from has ended"));
  }
  return PreviewGrant{
      .user_id = std::string(parts[0]), .workspace_id = std::string(parts[2]), .port = *port};
}

Result<std::string> PortRelay::VerifyPreview(std::string_view token, std::string_view workspace_id,
                                             uint16_t port) const {
  auto grant = OpenPreview(token);
  if (!grant) return std::unexpected(grant.error());
  if (grant->workspace_id != workspace_id || grant->port != port) {
    return std::unexpected(Refused("the ticket is for another workspace or port"));
  }
  return std::move(grant->user_id);
}

Result<std::unique_ptr<PortStream>> PortRelay::Connect(std::string_view user_id,
                                                       std::string_view workspace_id,
                                                       uint16_t port) {
  if (port == 0) return Fail(Error::Code::kInvalidArgument, "preview: port 0 is not a port");
  // The owner, or whom the owner shares with (asked anew on every connection).
  if (auto admitted = Admit(user_id, workspace_id); !admitted) {
    return std::unexpected(admitted.error());
  }
  // meter20: serving a preview makes its server work, refused once the owner's CPU quota is
  // used up.
  if (auto quota = workspaces_->CheckCpuQuota(workspace_id); !quota) {
    return std::unexpected(quota.error());
  }
  // Never starts the pod: a workspace that is not running serves nothing.
  auto pod = workspaces_->RunningPod(workspace_id);
  if (!pod) {
    if (pod.error().code() != Error::Code::kFailedPrecondition) return std::unexpected(pod.error());
    return Fail(Error::Code::kUnavailable,
                "preview: the workspace is not running, so nothing serves port " +
                    std::to_string(port) + "; start it and the program first");
  }
  auto stream = (*pod)->ConnectPort(port);
  if (!stream && stream.error().code() == Error::Code::kUnavailable) {
    return Fail(Error::Code::kUnavailable,
                "preview: nothing listens on port " + std::to_string(port) +
                    " in the workspace; start a server there on 127.0.0.1 or 0.0.0.0 first");
  }
  return stream;
}

namespace {

class StreamReply final : public RelayReply {
 public:
  StreamReply(std::unique_ptr<PortStream> stream, relay::ResponseHead head, uint64_t max_bytes,
              std::chrono::milliseconds timeout)
      : stream_(std::move(stream)),
        head_(std::move(head)),
        max_bytes_(max_bytes),
        timeout_(timeout) {}

  Result<void> Pump(const std::function<bool(std::string_view)>& sink) override {
    return relay::PumpBody(*stream_, head_, max_bytes_, timeout_, sink);
  }

 private:
  std::unique_ptr<PortStream> stream_;
  relay::ResponseHead head_;
  uint64_t max_bytes_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

Result<std::unique_ptr<PortStream>> PortRelay::Send(std::string_view user_id,
                                                    std::string_view workspace_id, uint16_t port,
                                                    const RelayRequest& request, bool upgrade) {
  auto stream = Connect(user_id, workspace_id, port);
  if (!stream) return std::unexpected(stream.error());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  auto wrote = (*stream)->Write(relay::SerializeRequest(request, host, upgrade), timeout);
  // An upload goes on piece by piece as the browser sends it: the program's pace holds back
  // the browser's (the server reads its connection only as this takes).
  for (uint64_t sent = 0; wrote && request.read_body && sent < request.body_length;) {
    auto piece = request.read_body();
    if (!piece) return std::unexpected(piece.error());
    if (piece->empty()) {
      return Fail(Error::Code::kAborted, "preview: the upload ended before its Content-Length");
    }
    sent += piece->size();
    wrote = (*stream)->Write(*piece, timeout);
  }
  // A program may answer and close before reading all of a body it does not want: read on.
  if (!wrote && wrote.error().code() != Error::Code::kAborted) {
    return Fail(Error::Code::kUnavailable, "preview: " + wrote.error().message());
  }
  return stream;
}

namespace {

// The program's own absolute redirects ("/login") stay under the preview's prefix.
void KeepRedirects(HeaderFields& headers, std::string_view prefix) {
  for (auto& [name, value] : headers) {
    if (name == "location" && value.starts_with('/') && !value.starts_with("//")) {
      value = std::string(prefix.substr(0, prefix.size() - 1)) + value;
    }
  }
}

std::unique_ptr<RelayReply> MakeReply(std::unique_ptr<PortStream> stream, relay::ResponseHead head,
                                      uint64_t max_bytes, std::chrono::milliseconds timeout) {
  const int status = head.response.status;
  HeaderFields headers = std::move(head.response.headers);
  const bool has_body = head.framing != relay::ResponseHead::Framing::kNone;
  std::optional<uint64_t> length;
  if (head.framing == relay::ResponseHead::Framing::kLength) length = head.length;
  auto reply =
      std::make_unique<StreamReply>(std::move(stream), std::move(head), max_bytes, timeout);
  reply->status = status;
  reply->headers = std::move(headers);
  reply->has_body = has_body;
  reply->length = length;
  return reply;
}

}  // namespace

Result<std::unique_ptr<RelayReply>> PortRelay::Open(std::string_view user_id,
                                                    std::string_view workspace_id, uint16_t port,
                                                    const RelayRequest& request,
                                                    std::string_view public_prefix) {
  auto stream = Send(user_id, workspace_id, port, request, false);
  if (!stream) return std::unexpected(stream.error());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  auto head = relay::ReadHead(**stream, request.method, options_.max_response_bytes, timeout);
  if (!head) return std::unexpected(head.error());
  KeepRedirects(head->response.headers,
                public_prefix.empty() ? Prefix(workspace_id, port) : std::string(public_prefix));
  return MakeReply(std::move(*stream), std::move(*head), options_.max_response_bytes, timeout);
}

Result<RelayUpgrade> PortRelay::Upgrade(std::string_view user_id, std::string_view workspace_id,
                                        uint16_t port, const RelayRequest& request,
                                        std::string_view public_prefix) {
  std::string_view key;
  std::string_view offered;
  for (const auto& [name, value] : request.headers) {
    if (name == "sec-websocket-key") key = value;
    if (name == "sec-websocket-protocol") offered = value;
  }
  if (key.empty()) {
    return Fail(Error::Code::kInvalidArgument,
                "preview: a WebSocket upgrade needs a Sec-WebSocket-Key header");
  }
  auto stream = Send(user_id, workspace_id, port, request, true);
  if (!stream) return std::unexpected(stream.error());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  auto head = relay::ReadHead(**stream, "GET", options_.max_response_bytes, timeout);
  if (!head) return std::unexpected(head.error());
  KeepRedirects(head->response.headers,
                public_prefix.empty() ? Prefix(workspace_id, port) : std::string(public_prefix));
  RelayUpgrade out;
  out.status = head->response.status;
  if (out.status != 101) {
    out.headers = head->response.headers;
    out.refusal =
        MakeReply(std::move(*stream), std::move(*head), options_.max_response_bytes, timeout);
    return out;
  }
  auto checked = relay::CheckSwitch(head->response.headers, key, offered);
  if (!checked) return std::unexpected(checked.error());
  out.headers = std::move(head->response.headers);
  out.early = std::move(head->rest);
  out.stream = std::move(*stream);
  return out;
}

Result<RelayResponse> PortRelay::Forward(std::string_view user_id, std::string_view workspace_id,
                                         uint16_t port, const RelayRequest& request,
                                         std::string_view public_prefix) {
  auto reply = Open(user_id, workspace_id, port, request, public_prefix);
  if (!reply) return std::unexpected(reply.error());
  RelayResponse response;
  response.status = (*reply)->status;
  response.headers = std::move((*reply)->headers);
  auto pumped = (*reply)->Pump([&response](std::string_view bytes) {
    response.body.append(bytes);
    return true;
  });
  if (!pumped) return std::unexpected(pumped.error());
  return response;
}

}  // namespace codeyard
