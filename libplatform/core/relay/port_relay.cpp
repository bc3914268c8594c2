#include "codeyard/port_relay.hpp"

#include <sodium.h>

#include <array>
#include <charconv>

#include "codeyard/workspaces.hpp"
#include "core/auth/tokens.hpp"
#include "core/relay/http_exchange.hpp"

namespace codeyard {
namespace {

// Tickets are signed with HMAC-SHA256(secret, this label), never with the secret itself, so
// no ticket verifies as an access token (or the reverse) even where both formats could meet.
constexpr std::string_view kTicketKeyLabel = "codeyard preview ticket v1";

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

PortRelay::PortRelay(std::shared_ptr<Workspaces> workspaces, std::shared_ptr<Clock> clock,
                     PortRelayOptions options)
    : workspaces_(std::move(workspaces)),
      clock_(std::move(clock)),
      options_(std::move(options)),
      key_(Hmac(options_.secret, kTicketKeyLabel)) {}

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

Result<PreviewTicket> PortRelay::IssuePreview(std::string_view user_id,
                                              std::string_view workspace_id, uint16_t port) {
  if (port == 0) return Fail(Error::Code::kInvalidArgument, "preview: port 0 is not a port");
  auto workspace = workspaces_->Get(user_id, workspace_id);  // kNotFound for anyone else's
  if (!workspace) return std::unexpected(workspace.error());
  PreviewTicket ticket;
  ticket.expires_unix_ms =
      clock_->NowMillis() +
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.preview_ttl).count();
  const std::string claims = std::string(user_id) + "|" + std::string(workspace_id) + "|" +
                             std::to_string(port) + "|" + std::to_string(ticket.expires_unix_ms);
  ticket.token = auth::Base64UrlEncode(claims) + "." + auth::Base64UrlEncode(Hmac(key_, claims));
  ticket.prefix = Prefix(workspace_id, port);
  return ticket;
}

Result<std::string> PortRelay::VerifyPreview(std::string_view token, std::string_view workspace_id,
                                             uint16_t port) const {
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
  // user|workspace|port|expiry: ids never contain '|'.
  std::array<std::string_view, 4> parts{};
  std::string_view rest = *claims;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t bar = i + 1 < parts.size() ? rest.find('|') : rest.size();
    if (bar == std::string_view::npos) return std::unexpected(Refused("malformed ticket"));
    parts.at(i) = rest.substr(0, bar);
    rest = bar < rest.size() ? rest.substr(bar + 1) : std::string_view();
  }
  int64_t expires = 0;
  const auto [end, ec] =
      std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), expires);
  if (ec != std::errc() || end != parts[3].data() + parts[3].size()) {
    return std::unexpected(Refused("malformed ticket"));
  }
  if (parts[1] != workspace_id || parts[2] != std::to_string(port)) {
    return std::unexpected(Refused("the ticket is for another workspace or port"));
  }
  if (clock_->NowMillis() >= expires) return std::unexpected(Refused("the ticket has expired"));
  return std::string(parts[0]);
}

Result<std::unique_ptr<PortStream>> PortRelay::Connect(std::string_view user_id,
                                                       std::string_view workspace_id,
                                                       uint16_t port) {
  if (port == 0) return Fail(Error::Code::kInvalidArgument, "preview: port 0 is not a port");
  auto workspace = workspaces_->Get(user_id, workspace_id);  // the owner only
  if (!workspace) return std::unexpected(workspace.error());
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

Result<RelayResponse> PortRelay::Forward(std::string_view user_id, std::string_view workspace_id,
                                         uint16_t port, const RelayRequest& request) {
  auto stream = Connect(user_id, workspace_id, port);
  if (!stream) return std::unexpected(stream.error());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  auto wrote = (*stream)->Write(relay::SerializeRequest(request, host), timeout);
  // A program may answer and close before reading all of a body it does not want: read on.
  if (!wrote && wrote.error().code() != Error::Code::kAborted) {
    return Fail(Error::Code::kUnavailable, "preview: " + wrote.error().message());
  }
  auto response =
      relay::ReadResponse(**stream, request.method, options_.max_response_bytes, timeout);
  if (!response) return std::unexpected(response.error());
  // The program's own absolute redirects ("/login") stay under the preview's prefix.
  const std::string prefix = Prefix(workspace_id, port);
  for (auto& [name, value] : response->headers) {
    if (name == "location" && value.starts_with('/') && !value.starts_with("//")) {
      value = prefix.substr(0, prefix.size() - 1) + value;
    }
  }
  return response;
}

}  // namespace codeyard
