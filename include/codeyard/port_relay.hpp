// The preview of what a workspace serves: a web server its owner started in the pod (say
// `python3 -m http.server 8000` in the terminal) reached through Codeyard at
// /api/v1/workspaces/{id}/ports/{port}/, as `kubectl port-forward` reaches a pod. The pod has
// no network; Pod::ConnectPort has its init open the connection on the pod's own loopback.
// The rules live here: who may reach a port (the workspace's owner, and whom the share policy
// admits: the reviewer the owner shares the workspace with), which ports are
// ports (1-65535), what a preview ticket is (a short-lived capability for one user, login,
// workspace and port, HMAC-signed with a key derived from the access-token secret and refused
// once that login ends, so a browser tab or a sandboxed iframe is let in by a path
// /api/v1/previews/{ticket}/ that its relative URLs keep, and the access token never goes
// into a URL), and how one HTTP exchange is relayed (hop-by-hop headers dropped, the app's
// redirects kept under the preview's prefix, the response bounded). The server only maps HTTP onto
// it. Thread-safe: every method may be called from any thread at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeyard/backend/port_stream.hpp"
#include "codeyard/error.hpp"

namespace codeyard {

class Platform;
class Workspaces;

struct PortRelayOptions {
  // The access-token secret (AccountsOptions::secret); preview tickets are signed with a key
  // derived from it, so no ticket is ever an access token, and every replica checks them.
  std::string secret;
  std::chrono::seconds preview_ttl = std::chrono::hours(1);  // relay.preview_ttl_s
  uint64_t max_response_bytes = uint64_t{64} << 20;          // relay.max_response_bytes
  std::chrono::seconds timeout = std::chrono::seconds(30);   // relay.timeout_s
};

// A ticket for one user, workspace and port until expires_unix_ms.
struct PreviewTicket {
  std::string token;
  int64_t expires_unix_ms = 0;
  std::string prefix;  // "/api/v1/workspaces/<id>/ports/<port>/": where it is valid as a cookie
  std::string url;     // "/api/v1/previews/<token>/": the capability path a frame or tab opens
};

// What a valid ticket lets in.
struct PreviewGrant {
  std::string user_id;
  std::string workspace_id;
  uint16_t port = 0;
};

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// One HTTP request for the program in the pod. `target` is its path and query as the program
// sees them, starting with '/' (the preview prefix taken off).
struct RelayRequest {
  std::string method;
  std::string target = "/";
  HeaderFields headers;  // lower-case names; hop-by-hop ones and cookies are not passed on
  std::string body;
  // Instead of `body`, one passed on as it arrives (an upload): `body_length` bytes, taken
  // piece by piece from `read_body` ("" once all came; an error ends the exchange with it).
  std::function<Result<std::string>()> read_body;
  uint64_t body_length = 0;
};

struct RelayResponse {
  int status = 200;
  HeaderFields headers;  // lower-case names, hop-by-hop ones and Content-Length removed
  std::string body;      // decoded from chunked transfer coding
};

// An answer whose head is read and whose body is still coming (PortRelay::Open), so a large
// body is passed on as it arrives instead of being held whole. Pump once, from one thread.
class RelayReply {
 public:
  virtual ~RelayReply() = default;
  int status = 200;
  HeaderFields headers;  // as RelayResponse's
  bool has_body = true;  // false after HEAD, for 1xx, 204 and 304
  // The body's size when the program said it (Content-Length); nullopt for a chunked body or
  // one that runs to the end of the stream.
  std::optional<uint64_t> length;
  // Passes the body to `sink` piece by piece (decoded from chunked); `sink` returns false to
  // stop (kAborted). kUnavailable, saying so, for a malformed or short body, one past
  // relay.max_response_bytes, or relay.timeout_s of silence: the client then gets a short
  // body, since its head has gone out.
  [[nodiscard]] virtual Result<void> Pump(const std::function<bool(std::string_view)>& sink) = 0;
};

// The program's answer to a WebSocket upgrade (PortRelay::Upgrade). With 101 the program
// switched: `stream` carries the WebSocket's bytes both ways from then on, unparsed (`early`
// first: what the program sent right after its 101), and `headers` hold its
// Sec-WebSocket-Accept, -Protocol and -Extensions for the browser. Any other status is the
// program's refusal, passed on as it is: `refusal` holds its body.
struct RelayUpgrade {
  int status = 101;
  HeaderFields headers;  // as RelayResponse's
  std::unique_ptr<PortStream> stream;
  std::string early;
  std::unique_ptr<RelayReply> refusal;
};

// Decides whether `user_id` may reach another user's workspace preview: ok to admit, an
// error to refuse (kNotFound, as for a workspace not theirs). The server wires
// Reviews::AuthorizeTerminalWatch: the owner's one switch (terminal sharing, under an
// in_review review) shares the terminal and the preview with the assigned reviewer. It may
// read storage and is asked on every connection, so unsharing or the review ending refuses
// the next request.
using PreviewSharePolicy =
    std::function<Result<void>(std::string_view user_id, std::string_view workspace_id)>;

class PortRelay {
 public:
  PortRelay(std::shared_ptr<Platform> platform, std::shared_ptr<Workspaces> workspaces,
            PortRelayOptions options);

  // "8000" -> 8000: digits only, 1 to 65535; otherwise kInvalidArgument.
  [[nodiscard]] static Result<uint16_t> ParsePort(std::string_view text);

  // "/api/v1/workspaces/<id>/ports/<port>/".
  [[nodiscard]] static std::string Prefix(std::string_view workspace_id, uint16_t port);
  // "/api/v1/previews/<token>/".
  [[nodiscard]] static std::string CapabilityPrefix(std::string_view token);

  // Who besides the owner may reach a workspace's ports (nobody when unset). Set it before
  // the first request.
  void SetSharePolicy(PreviewSharePolicy policy);

  // A ticket for the caller's own workspace or one the share policy admits them to
  // (kNotFound for anyone else's, as for every workspace route), made from the login `session_id`
  // (AccessClaims::session_id): it stops working when that login ends. Issuing starts nothing.
  [[nodiscard]] Result<PreviewTicket> IssuePreview(std::string_view user_id,
                                                   std::string_view session_id,
                                                   std::string_view workspace_id, uint16_t port);

  // What a ticket lets in, if it is well-formed, signed by this secret and unexpired, and its
  // user is enabled and its login live (one indexed read of storage); otherwise
  // kUnauthenticated saying which check failed. Storage errors pass through.
  [[nodiscard]] Result<PreviewGrant> OpenPreview(std::string_view token) const;

  // The user of a ticket that OpenPreview accepts and that is for exactly this workspace and
  // port; otherwise kUnauthenticated.
  [[nodiscard]] Result<std::string> VerifyPreview(std::string_view token,
                                                  std::string_view workspace_id,
                                                  uint16_t port) const;

  // A byte stream to the port in the caller's workspace, or one shared with them (checked
  // anew on every call). kNotFound for another user's workspace; kUnavailable (a "bad gateway")
  // when the workspace is not running or nothing listens on the port.
  [[nodiscard]] Result<std::unique_ptr<PortStream>> Connect(std::string_view user_id,
                                                            std::string_view workspace_id,
                                                            uint16_t port);

  // One request and its whole response, over a fresh connection (Connect's errors; the
  // program's malformed or too large answer is kUnavailable too, saying so). The program's
  // absolute redirects ("/login") are kept under `public_prefix` (Prefix or
  // CapabilityPrefix, whichever the browser used; Prefix when empty).
  [[nodiscard]] Result<RelayResponse> Forward(std::string_view user_id,
                                              std::string_view workspace_id, uint16_t port,
                                              const RelayRequest& request,
                                              std::string_view public_prefix = {});

  // As Forward, but returns once the answer's head is read; its body comes through Pump.
  [[nodiscard]] Result<std::unique_ptr<RelayReply>> Open(std::string_view user_id,
                                                         std::string_view workspace_id,
                                                         uint16_t port, const RelayRequest& request,
                                                         std::string_view public_prefix = {});

  // Passes a browser's WebSocket upgrade (`request`: GET with its Sec-WebSocket-Key,
  // -Version, -Protocol and -Extensions headers) to the program, which answers it itself
  // (Connect's errors). kInvalidArgument without a Sec-WebSocket-Key; kUnavailable (a bad
  // gateway, saying why) when the program's 101 does not prove it read the key
  // (Sec-WebSocket-Accept) or picks a subprotocol the browser did not offer.
  [[nodiscard]] Result<RelayUpgrade> Upgrade(std::string_view user_id,
                                             std::string_view workspace_id, uint16_t port,
                                             const RelayRequest& request,
                                             std::string_view public_prefix = {});

  [[nodiscard]] const PortRelayOptions& options() const { return options_; }

 private:
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Workspaces> workspaces_;
  PortRelayOptions options_;
  // A fresh connection to the port (Connect) with `request` written to it, as a WebSocket
  // upgrade when `upgrade`.
  [[nodiscard]] Result<std::unique_ptr<PortStream>> Send(std::string_view user_id,
                                                         std::string_view workspace_id,
                                                         uint16_t port, const RelayRequest& request,
                                                         bool upgrade);
  // Ok when `user_id` owns `workspace_id` or the share policy admits them; kNotFound
  // otherwise (the owner's own lookup error, so nobody learns the workspace exists).
  [[nodiscard]] Result<void> Admit(std::string_view user_id, std::string_view workspace_id) const;

  std::string key_;  // HMAC key of preview tickets, derived from options_.secret
  mutable std::mutex policy_mu_;
  PreviewSharePolicy share_policy_;
};

}  // namespace codeyard
