#include "executor/kubernetes/kube_exec.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "executor/kubernetes/kube_http_impl.hpp"
#include "executor/kubernetes/websocket_client.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

constexpr std::string_view kV5 = "v5.channel.k8s.io";
constexpr std::string_view kV4 = "v4.channel.k8s.io";

std::string StringField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

class ExecPortStream final : public PortStream {
 public:
  explicit ExecPortStream(std::unique_ptr<ExecSession> session) : session_(std::move(session)) {}

  Result<void> Write(std::string_view data,
                     std::optional<std::chrono::milliseconds> timeout) override {
    auto sent = session_->WriteStdin(data, timeout);
    if (!sent && sent.error().code() != Error::Code::kDeadlineExceeded) {
      return Fail(Error::Code::kAborted, sent.error().message());
    }
    return sent;
  }

  Result<std::string> Read(std::size_t max,
                           std::optional<std::chrono::milliseconds> timeout) override {
    while (pending_.empty()) {
      auto chunk = session_->Read(timeout);
      if (!chunk) return Fail(chunk.error());
      if (!*chunk) return std::string();  // the command ended
      if ((*chunk)->channel == ExecChannel::kStdout) pending_ = std::move((*chunk)->data);
    }
    std::string out = pending_.substr(0, max);
    pending_.erase(0, out.size());
    return out;
  }

  Result<void> CloseWrite() override { return session_->CloseStdin(); }

  void Shutdown() override { session_->Interrupt(); }

 private:
  std::unique_ptr<ExecSession> session_;
  std::string pending_;  // stdout the caller has not taken yet (Read's thread only)
};

}  // namespace

Result<ExecExit> ParseExecStatus(std::string_view status_json) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(status_json, ec);
  if (ec || !parsed.is_object()) {
    return Fail(Error::Code::kInternal, "kubernetes: exec: the status is not JSON");
  }
  const auto& status = parsed.get_object();
  if (StringField(status, "status") == "Success") return ExecExit{};
  const std::string message = StringField(status, "message");
  if (StringField(status, "reason") == "NonZeroExitCode") {
    const auto* details = status.if_contains("details");
    const auto* causes = details != nullptr && details->is_object()
                             ? details->get_object().if_contains("causes")
                             : nullptr;
    if (causes != nullptr && causes->is_array()) {
      for (const auto& cause : causes->get_array()) {
        if (!cause.is_object() || StringField(cause.get_object(), "reason") != "ExitCode") continue;
        const std::string text = StringField(cause.get_object(), "message");
        int code = 0;
        const auto [end, parse_ec] = std::from_chars(text.data(), text.data() + text.size(), code);
        if (parse_ec == std::errc() && end == text.data() + text.size()) {
          return ExecExit{code, message};
        }
      }
    }
  }
  return Fail(Error::Code::kInternal,
              "kubernetes: exec: " + (message.empty() ? std::string(status_json) : message));
}

ExecSession::ExecSession(std::unique_ptr<WebSocketClient> socket, std::string protocol)
    : socket_(std::move(socket)), protocol_(std::move(protocol)) {}

ExecSession::~ExecSession() {
  if (socket_) socket_->Close();
}

bool ExecSession::can_close_stdin() const noexcept { return protocol_ == kV5; }

Result<void> ExecSession::WriteStdin(std::string_view data,
                                     std::optional<std::chrono::milliseconds> timeout) {
  std::string message(1, static_cast<char>(ExecChannel::kStdin));
  message += data;
  return socket_->Send(WsOpcode::kBinary, message, timeout);
}

Result<void> ExecSession::CloseStdin() {
  if (!can_close_stdin()) {
    return Fail(Error::Code::kUnimplemented,
                "kubernetes: exec: the server speaks " + protocol_ +
                    ", which cannot close stdin without closing the whole stream");
  }
  const char message[2] = {static_cast<char>(ExecChannel::kClose),
                           static_cast<char>(ExecChannel::kStdin)};
  return socket_->Send(WsOpcode::kBinary, std::string_view(message, 2));
}

Result<void> ExecSession::Resize(int width, int height) {
  std::string message(1, static_cast<char>(ExecChannel::kResize));
  message += json::serialize(json::object{{"Width", width}, {"Height", height}});
  message += '\n';
  return socket_->Send(WsOpcode::kBinary, message);
}

Result<std::optional<ExecChunk>> ExecSession::Read(
    std::optional<std::chrono::milliseconds> timeout) {
  for (;;) {
    auto message = socket_->Receive(timeout);
    if (!message) return Fail(message.error());
    if (!*message) {
      if (!exit_) {
        exit_ =
            Result<ExecExit>(Fail(Error::Code::kUnavailable,
                                  "kubernetes: exec: the stream closed without an exit status"));
      }
      return std::optional<ExecChunk>();
    }
    std::string& payload = (*message)->payload;
    // The server opens with an empty frame on its first channel; skip it and anything
    // without a payload.
    if ((*message)->opcode != WsOpcode::kBinary || payload.size() <= 1) continue;
    const auto channel = static_cast<ExecChannel>(static_cast<std::uint8_t>(payload[0]));
    switch (channel) {
      case ExecChannel::kStdout:
      case ExecChannel::kStderr:
        return std::optional<ExecChunk>(ExecChunk{channel, payload.substr(1)});
      case ExecChannel::kStatus:
        exit_ = ParseExecStatus(std::string_view(payload).substr(1));
        continue;
      default:
        continue;  // a v5 close of a server channel, or a channel we did not ask for
    }
  }
}

std::optional<Result<ExecExit>> ExecSession::exit() const { return exit_; }

void ExecSession::Interrupt() { socket_->Interrupt(); }

std::unique_ptr<PortStream> MakeExecPortStream(std::unique_ptr<ExecSession> session) {
  return std::make_unique<ExecPortStream>(std::move(session));
}

Result<std::unique_ptr<ExecSession>> Client::Exec(const ExecOptions& options) {
  Resource target{"v1", "pods", options.ns.empty() ? impl_->config().default_namespace : options.ns,
                  options.pod, "exec"};
  Query query;
  for (const auto& arg : options.command) query.emplace_back("command", arg);
  if (!options.container.empty()) query.emplace_back("container", options.container);
  // Like kubectl, name only what is asked for: an absent parameter is false.
  if (options.with_stdin) query.emplace_back("stdin", "true");
  if (options.with_stdout) query.emplace_back("stdout", "true");
  if (options.with_stderr && !options.tty) query.emplace_back("stderr", "true");
  if (options.tty) query.emplace_back("tty", "true");
  WebSocketClient::Options ws;
  ws.url = impl_->Url(target, query);
  ws.protocols = {std::string(kV5), std::string(kV4)};
  ws.connect_timeout = options.connect_timeout.value_or(impl_->config().request_timeout);
  ws.ping_interval = options.ping_interval;
  ws.user_agent = impl_->config().user_agent;
  const std::string what = "exec in pods \"" + target.name + "\" in ns \"" + target.ns + "\"";
  for (bool retried = false;;) {
    ws.headers.clear();
    if (const std::string token = impl_->Token(retried); !token.empty()) {
      ws.headers.push_back("Authorization: Bearer " + token);
    }
    CURL* easy = impl_->Fresh();
    auto socket = WebSocketClient::Connect(easy, ws, what);
    if (!socket) {
      // A rotated token: read it again and try once more, as the REST calls do.
      if (socket.error().code() == Error::Code::kUnauthenticated && impl_->token_from_file() &&
          !retried) {
        retried = true;
        continue;
      }
      return Fail(socket.error());
    }
    std::string protocol = (*socket)->protocol();
    return std::make_unique<ExecSession>(std::move(*socket), std::move(protocol));
  }
}

}  // namespace codeyard::kube
