// `codeyard-bench lsp [--edits N] [--server PATH]`: the first diagnostic after a keystroke
// through the server's language-server WebSocket, against pylsp spoken to directly over its
// stdio in the same pod, interleaved in one run. The real codeyard-server (beside this
// program, or --server) on a free loopback port starts a workspace; the subject opens
// `/api/v1/workspaces/{id}/lsp?language=python` with the library's WebSocket client, and the
// baseline reaches the same pod through a second executor on the server's state directory
// (as another replica would) and execs `pylsp` there with the spec the server uses. Both run
// the same exchange: N edits that turn a valid line into `def broken(:` (timed from the
// didChange to the error diagnostic for it) and back. So the ratio is the server's own cost:
// the WebSocket, the token check, the relay and LSP framing; pylsp's lint debounce (0.5 s)
// and the sandbox are in both sides.
#include <curl/curl.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "bench_server.hpp"
#include "bench_util.hpp"
#include "child_process.hpp"
#include "codeyard/platform.hpp"
#include "commands.hpp"
#include "executor/kubernetes/websocket_client.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

struct LspOptions {
  std::string server;
  int edits = 10;
  bool json = false;
};

constexpr std::string_view kGood = "def fine():\n    return 1\n";
constexpr std::string_view kBad = "def broken(:\n    return 1\n";
constexpr auto kWait = 60s;  // for any one message: pylsp's first start in a busy pod included

// One JSON-RPC conversation with a language server, however it is carried.
class LspChannel {
 public:
  virtual ~LspChannel() = default;
  virtual void Send(const json::object& message) = 0;
  // The next message; BenchFailed when none came within kWait or the channel ended.
  virtual json::object Next() = 0;

  // Reads until `match` holds, answering the server's own requests (configuration and the
  // like) with null, as the IDE's client does when it has no settings.
  json::object Until(const std::function<bool(const json::object&)>& match) {
    while (true) {
      json::object message = Next();
      if (message.contains("id") && message.contains("method")) {
        Send({{"jsonrpc", "2.0"}, {"id", message.at("id")}, {"result", nullptr}});
        continue;
      }
      if (match(message)) return message;
    }
  }
};

// Through the server: one text message per JSON-RPC message.
class WebSocketChannel final : public LspChannel {
 public:
  WebSocketChannel(int port, const std::string& workspace_id, const std::string& token) {
    kube::WebSocketClient::Options options;
    options.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/workspaces/" +
                  workspace_id + "/lsp?language=python";
    options.ping_interval = 0ms;
    client_ = Must(kube::WebSocketClient::Connect(curl_easy_init(), options, "lsp WebSocket"),
                   "opening the lsp WebSocket");
    Must(client_->Send(kube::WsOpcode::kText, json::serialize(json::object{{"token", token}})),
         "the hello");
  }
  ~WebSocketChannel() override { client_->Close(); }

  void Send(const json::object& message) override {
    Must(client_->Send(kube::WsOpcode::kText, json::serialize(message)), "sending to the server");
  }
  json::object Next() override {
    auto message = Must(client_->Receive(kWait), "reading the lsp WebSocket");
    if (!message) throw BenchFailed(kExitFailed, "the server closed the lsp WebSocket");
    return json::parse(message->payload).as_object();
  }

 private:
  std::unique_ptr<kube::WebSocketClient> client_;
};

// Straight to pylsp's stdio in the pod: LSP's Content-Length framing, done here.
class StdioChannel final : public LspChannel {
 public:
  explicit StdioChannel(Pod& pod) {
    ExecSpec spec;  // as core/relay/language_servers.cpp starts it
    spec.argv = {"pylsp"};
    spec.stdin_open = true;
    spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
    spec.kill_on_output_limit = false;
    process_ = Must(pod.Exec(spec), "exec of pylsp in the pod");
  }
  ~StdioChannel() override { (void)process_->Signal(9); }

  void Send(const json::object& message) override {
    const std::string body = json::serialize(message);
    Must(process_->WriteStdin("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body),
         "writing to pylsp");
  }
  json::object Next() override {
    while (true) {
      const std::size_t head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::size_t length = ContentLength(buffer_.substr(0, head_end));
        if (buffer_.size() >= head_end + 4 + length) {
          const std::string body = buffer_.substr(head_end + 4, length);
          buffer_.erase(0, head_end + 4 + length);
          return json::parse(body).as_object();
        }
      }
      auto chunk = Must(process_->ReadOutput(kWait), "reading pylsp");
      if (!chunk) throw BenchFailed(kExitFailed, "pylsp ended in the pod");
      if (chunk->stream == OutputStream::kStdout) buffer_ += chunk->data;
    }
  }

 private:
  static std::size_t ContentLength(const std::string& head) {
    constexpr std::string_view kName = "content-length:";
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t at = lower.find(kName);
    if (at == std::string::npos) throw BenchFailed(kExitFailed, "pylsp sent no Content-Length");
    return std::stoul(head.substr(at + kName.size()));
  }

  std::unique_ptr<Process> process_;
  std::string buffer_;
};

// true / false: the diagnostics for `uri` have / have not an error; nullopt: another message.
std::optional<bool> ErrorDiagnostic(const json::object& message, std::string_view uri) {
  const auto* method = message.if_contains("method");
  if (method == nullptr || *method != "textDocument/publishDiagnostics") return std::nullopt;
  const json::object& params = message.at("params").as_object();
  if (params.at("uri").as_string() != uri) return std::nullopt;
  for (const auto& d : params.at("diagnostics").as_array()) {
    const auto* severity = d.as_object().if_contains("severity");
    if (severity != nullptr && severity->to_number<int>() == 1) return true;
  }
  return false;
}

// A session ready for edits: initialized, and the valid document open and found clean.
struct LspDocument {
  LspChannel& channel;
  std::string uri;
  int version = 1;

  void Open() {
    channel.Send({{"jsonrpc", "2.0"},
                  {"id", 1},
                  {"method", "initialize"},
                  {"params",
                   {{"processId", nullptr},
                    {"rootUri", "file:///workspace"},
                    {"capabilities", json::object{}}}}});
    (void)channel.Until([](const json::object& m) {
      const auto* id = m.if_contains("id");
      return id != nullptr && id->is_int64() && id->as_int64() == 1;
    });
    channel.Send({{"jsonrpc", "2.0"}, {"method", "initialized"}, {"params", json::object{}}});
    channel.Send({{"jsonrpc", "2.0"},
                  {"method", "textDocument/didOpen"},
                  {"params",
                   {{"textDocument",
                     {{"uri", uri}, {"languageId", "python"}, {"version", 1}, {"text", kGood}}}}}});
    WaitFor(false);
  }

  // The whole document replaced by `text`, until its diagnostics say `error`.
  void Edit(std::string_view text, bool error) {
    channel.Send({{"jsonrpc", "2.0"},
                  {"method", "textDocument/didChange"},
                  {"params",
                   {{"textDocument", {{"uri", uri}, {"version", ++version}}},
                    {"contentChanges", json::array{json::object{{"text", text}}}}}}});
    WaitFor(error);
  }

  void WaitFor(bool error) {
    (void)channel.Until([&](const json::object& m) { return ErrorDiagnostic(m, uri) == error; });
  }
};

void RunLspBench(const LspOptions& o) {
  const TempDir tmp;
  const std::string binary = ServerBinary(o.server);
  const int port = FreePort();
  std::vector<std::string> env = EnvironmentWithoutCodeyard();
  env.push_back("CODEYARD_SECRET=" + RandomHex(32));
  const auto data = tmp.path() / "data";
  ChildProcess server(
      {binary, "--listen", "127.0.0.1:" + std::to_string(port), "--data", data.string()}, env,
      (tmp.path() / "server.log").string());
  WaitHealthy(port, server);
  const std::string user = "bench" + RandomHex(4);
  auto session = JsonOf(
      HttpCall(port, "POST", "/api/v1/auth/register",
               json::serialize(json::object{{"username", user}, {"password", RandomHex(12)}})),
      201, "register");
  const std::string token(session.at("access_token").as_string());
  auto workspace = JsonOf(HttpCall(port, "POST", "/api/v1/workspaces", R"({"name":"lsp"})", token),
                          201, "workspace");
  const std::string id(workspace.at("id").as_string());
  (void)JsonOf(HttpCall(port, "POST", "/api/v1/workspaces/" + id + "/start", {}, token), 200,
               "start the workspace");

  // The workspace's own pod, reached as another replica would (platform.cpp's default URI).
  Options executor_options;
  executor_options.executor_uri =
      "local:?state_dir=" + (data / "pods").string() + "&images_dir=" + (data / "images").string();
  auto executor = Must(OpenExecutor(executor_options), "opening the server's executor");
  const auto pods = Must(executor->ListPods({{"codeyard.dev/workspace", id}}), "listing pods");
  if (pods.size() != 1) throw BenchFailed(kExitFailed, "the workspace has no one pod");
  auto pod = Must(executor->GetPod(pods[0].id), "reaching the workspace's pod");

  WebSocketChannel socket(port, id, token);
  StdioChannel stdio(*pod);
  LspDocument through{socket, "file:///workspace/bench.py"};
  LspDocument direct{stdio, "file:///workspace/direct.py"};
  through.Open();
  direct.Open();
  Samples server_side;
  Samples pod_side;
  // Interleaved, so a change in the machine's load falls on both sides alike.
  for (int i = 0; i < o.edits; ++i) {
    for (auto [document, samples] : {std::pair{&through, &server_side}, {&direct, &pod_side}}) {
      const auto start = std::chrono::steady_clock::now();
      document->Edit(kBad, true);
      samples->Add(std::chrono::steady_clock::now() - start);
      document->Edit(kGood, false);
    }
  }
  const Summary s = server_side.Summarize();
  const Summary d = pod_side.Summarize();
  if (o.json) {
    std::printf("%s\n", json::serialize(json::object{{"edits", o.edits},
                                                     {"codeyard_p50_ms", Ms(s.p50_ns)},
                                                     {"codeyard_p95_ms", Ms(s.p95_ns)},
                                                     {"direct_p50_ms", Ms(d.p50_ns)},
                                                     {"direct_p95_ms", Ms(d.p95_ns)},
                                                     {"p50_ratio", Ratio(s, d)}})
                            .c_str());
    return;
  }
  std::printf("codeyard-bench lsp: %d edits into `def broken(:`, first error diagnostic\n",
              o.edits);
  std::printf("%-44s %9s %9s %9s\n", "(ms)", "p50", "p95", "ratio");
  std::printf("%-44s %9.1f %9.1f %8.2fx\n", "through the server's lsp WebSocket", Ms(s.p50_ns),
              Ms(s.p95_ns), Ratio(s, d));
  std::printf("%-44s %9.1f %9.1f %9s\n", "baseline: pylsp's stdio in the same pod", Ms(d.p50_ns),
              Ms(d.p95_ns), "1.00x");
}

}  // namespace

void AddLspCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "lsp", "the first diagnostic after an edit through the server against pylsp in the pod");
  auto options = std::make_shared<LspOptions>();
  cmd->add_option("--server", options->server, "codeyard-server (default: beside this program)");
  cmd->add_option("--edits", options->edits, "timed edits of each kind")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] {
    try {
      RunLspBench(*options);
    } catch (const BenchFailed&) {
      throw;
    } catch (const std::exception& e) {
      throw BenchFailed(kExitFailed, std::string("lsp: ") + e.what());
    }
  });
}

}  // namespace codeyard::bench
