// The streaming subresources: pods/log (whole or followed) and pods/exec over WebSocket
// (v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io).
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <deque>
#include <sstream>

#include "server.hpp"

namespace codeyard::kubefake {

namespace {

std::string ContainerOf(const json::object& pod) {
  const json::object* spec = ObjectAt(pod, "spec");
  return FieldValue(spec->at("containers").as_array().front().as_object(), "name");
}

std::optional<ApiError> CheckContainer(const json::object& pod, const Request& req,
                                       const std::string& name) {
  const auto container = req.Param("container");
  if (container && !container->empty() && *container != ContainerOf(pod)) {
    return BadRequest("container " + *container + " is not valid for pod " + name);
  }
  return std::nullopt;
}

ApiError Waiting(const json::object& pod, const std::string& name) {
  return BadRequest("container \"" + ContainerOf(pod) + "\" in pod \"" + name +
                    "\" is waiting to start: ContainerCreating");
}

}  // namespace

bool Server::Logs(Conn& conn, const Request& req, const Target& t) {
  auto pod = store_.Get("pods", t.ns, t.name);
  if (!pod) return SendError(conn, NotFound("pods", t.name));
  if (auto err = CheckContainer(*pod, req, t.name)) return SendError(conn, *err);
  if (req.BoolParam("previous")) {
    return SendError(conn, BadRequest("previous terminated container \"" + ContainerOf(*pod) +
                                      "\" in pod \"" + t.name + "\" not found"));
  }
  auto rp = kubelet_.Find(FieldValue(*pod, "metadata.uid"));
  if (!rp) {
    // A pod from before a restart: its output went with the previous fake.
    if (FieldValue(*pod, "status.phase") == "Pending")
      return SendError(conn, Waiting(*pod, t.name));
    return Send(conn, Response{200, "text/plain", "", {}});
  }
  {
    std::lock_guard lock(rp->mu);
    if (!rp->started && !rp->ended) return SendError(conn, Waiting(*pod, t.name));
  }
  const bool timestamps = req.BoolParam("timestamps");
  const bool follow = req.BoolParam("follow");
  std::optional<size_t> tail;
  if (auto n = req.Param("tailLines")) tail = std::strtoull(n->c_str(), nullptr, 10);
  std::optional<std::chrono::system_clock::time_point> since;
  if (auto s = req.Param("sinceSeconds")) {
    since = std::chrono::system_clock::now() - std::chrono::seconds(std::atoll(s->c_str()));
  }
  auto render = [&](const LogLine& line, size_t from) {
    std::string out;
    if (from == 0 && timestamps) out = Rfc3339Nano(line.time) + " ";
    out += line.text.substr(from);
    return out;
  };
  size_t index = 0;
  std::string first;
  {
    std::lock_guard lock(rp->mu);
    index = 0;
    if (tail && *tail < rp->log.size()) index = rp->log.size() - *tail;
    while (since && index < rp->log.size() && rp->log[index].time < *since) ++index;
    for (size_t i = index; i < rp->log.size(); ++i) first += render(rp->log[i], 0);
  }
  if (!follow) {
    if (auto limit = req.Param("limitBytes"))
      first.resize(std::min<size_t>(first.size(), std::stoull(*limit)));
    return Send(conn, Response{200, "text/plain", first, {}});
  }
  // Follow: what is there, then each new piece as it comes, until the container ends.
  if (!StartChunked(conn, 200, "text/plain") || !WriteChunk(conn, first)) return false;
  std::unique_lock lock(rp->mu);
  size_t next = rp->log.size();
  size_t partial = next > 0 ? rp->log.back().text.size() : 0;
  if (next > 0 && !rp->log.back().text.ends_with('\n')) {
    --next;  // the last line is incomplete: keep sending it as it grows
  } else {
    partial = 0;
  }
  while (true) {
    std::string out;
    for (size_t i = next; i < rp->log.size(); ++i) {
      out += render(rp->log[i], i == next ? partial : 0);
    }
    if (!rp->log.empty() && rp->log.size() > next) {
      next = rp->log.size() - 1;
      partial = rp->log.back().text.size();
      if (rp->log.back().text.ends_with('\n')) {
        ++next;
        partial = 0;
      }
    }
    const bool ended = rp->ended;
    lock.unlock();
    if (!out.empty() && !WriteChunk(conn, out)) return false;
    if (ended) break;
    if (conn.PeerClosed()) return false;
    lock.lock();
    rp->cv.wait_for(lock, std::chrono::seconds(1));
  }
  return EndChunks(conn);
}

bool Server::Exec(Conn& conn, const Request& req, const Target& t) {
  auto pod = store_.Get("pods", t.ns, t.name);
  if (!pod) return SendError(conn, NotFound("pods", t.name));
  if (t.subresource == "attach") {
    return SendError(conn, BadRequest("codeyard-kube-fake does not serve pods/attach"));
  }
  if (auto err = CheckContainer(*pod, req, t.name)) return SendError(conn, *err);
  const std::vector<std::string> argv = req.Params("command");
  if (argv.empty()) {
    return SendError(conn, BadRequest("you must specify at least one command for the container"));
  }
  const bool want_stdin = req.BoolParam("stdin");
  const bool tty = req.BoolParam("tty");
  const bool want_stdout = req.BoolParam("stdout");
  const bool want_stderr = req.BoolParam("stderr") && !tty;
  if (!want_stdin && !want_stdout && !req.BoolParam("stderr")) {
    return SendError(conn, BadRequest("you must specify at least one of stdin, stdout, stderr"));
  }
  const std::string phase = FieldValue(*pod, "status.phase");
  if (phase == "Succeeded" || phase == "Failed") {
    return SendError(conn, BadRequest("cannot exec into a container in a completed pod; current "
                                      "phase is " +
                                      phase));
  }
  auto rp = kubelet_.Find(FieldValue(*pod, "metadata.uid"));
  std::shared_ptr<Pod> sandbox;
  if (rp) {
    std::lock_guard lock(rp->mu);
    if (rp->started && !rp->ended) sandbox = rp->pod;
  }
  if (!sandbox) return SendError(conn, Waiting(*pod, t.name));
  std::string upgrade_header = req.Header("upgrade");
  for (auto& c : upgrade_header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool upgrade = upgrade_header.find("websocket") != std::string::npos;
  if (req.method != "GET" || !upgrade) {
    // kubectl's SPDY fallback (a POST): a clean Status, never a hang.
    return SendError(conn, BadRequest("codeyard-kube-fake serves exec over WebSocket only "
                                      "(v5.channel.k8s.io, v4.channel.k8s.io); SPDY is not "
                                      "supported"));
  }
  std::string chosen;
  {
    std::stringstream offered(req.Header("sec-websocket-protocol"));
    std::string p;
    while (std::getline(offered, p, ',')) {
      p.erase(0, p.find_first_not_of(' '));
      while (!p.empty() && p.back() == ' ') p.pop_back();
      if (p == "v5.channel.k8s.io" || p == "v4.channel.k8s.io" || p == "v4.base64.channel.k8s.io") {
        chosen = p;
        break;
      }
    }
  }
  if (chosen.empty()) {
    return SendError(conn,
                     BadRequest("none of the offered subprotocols is served (v5.channel.k8s.io, "
                                "v4.channel.k8s.io, v4.base64.channel.k8s.io)"));
  }
  ExecSpec spec;
  spec.argv = argv;
  spec.tty = tty;
  spec.stdin_open = want_stdin;
  const json::object& container =
      ObjectAt(*pod, "spec")->at("containers").as_array().front().as_object();
  if (auto wd = FieldValue(container, "workingDir"); !wd.empty()) spec.cwd = wd;
  if (const auto* env = container.if_contains("env"); env != nullptr && env->is_array()) {
    for (const auto& e : env->as_array()) {
      if (e.is_object())
        spec.env[FieldValue(e.as_object(), "name")] = FieldValue(e.as_object(), "value");
    }
  }
  spec.output_limit_bytes = uint64_t{1} << 40;
  spec.kill_on_output_limit = false;
  if (!conn.WriteAll("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                     "Upgrade\r\nSec-WebSocket-Accept: " +
                     WebSocketAccept(req.Header("sec-websocket-key")) +
                     "\r\nSec-WebSocket-Protocol: " + chosen + "\r\n\r\n")) {
    return false;
  }
  RunExecSession(conn, *sandbox, spec, chosen, want_stdout, want_stderr);
  return false;
}

namespace {

struct ExecShared {
  std::mutex mu;
  struct Input {
    int kind = 0;  // 0 data, 1 close stdin, 2 resize, 3 kill
    std::string data;
    TerminalSize size;
  };
  std::deque<Input> inputs;
  std::deque<std::pair<int, std::string>> outputs;  // channel, bytes
  bool done = false;
  std::string status;  // channel 3 JSON
  int wake[2] = {-1, -1};

  void Wake() {
    const char c = 1;
    (void)!::write(wake[1], &c, 1);
  }
};

std::string GoArgv(const std::vector<std::string>& argv) {
  std::string out = "[";
  for (size_t i = 0; i < argv.size(); ++i) out += (i ? " " : "") + argv[i];
  return out + "]";
}

std::string ExitJson(const std::vector<std::string>& argv, const Result<ExitStatus>& status) {
  if (!status) {
    return json::serialize(
        json::object{{"metadata", json::object{}},
                     {"status", "Failure"},
                     {"message", "Internal error occurred: " + status.error().message()},
                     {"reason", "InternalError"},
                     {"details", {{"causes", {{{"message", status.error().message()}}}}}},
                     {"code", 500}});
  }
  int code = 0;
  if (status->exit_code) code = *status->exit_code;
  if (status->signal) code = 128 + *status->signal;
  if (code == 0) return R"({"metadata":{},"status":"Success"})";
  const std::string c = std::to_string(code);
  return json::serialize(json::object{
      {"metadata", json::object{}},
      {"status", "Failure"},
      {"message", "command terminated with non-zero exit code: error executing command " +
                      GoArgv(argv) + ", exit code " + c},
      {"reason", "NonZeroExitCode"},
      {"details", {{"causes", {{{"reason", "ExitCode"}, {"message", c}}}}}}});
}

void Drive(ExecShared& shared, Process& process, const std::vector<std::string>& argv) {
  while (true) {
    std::deque<ExecShared::Input> inputs;
    {
      std::lock_guard lock(shared.mu);
      inputs.swap(shared.inputs);
    }
    for (auto& in : inputs) {
      if (in.kind == 0) (void)process.QueueStdin(in.data, size_t{64} << 20);
      if (in.kind == 1) (void)process.CloseStdin();
      if (in.kind == 2) (void)process.Resize(in.size);
      if (in.kind == 3) (void)process.Signal(SIGKILL);
    }
    auto chunk = process.ReadOutput(std::nullopt);
    if (!chunk && chunk.error().code() == Error::Code::kAborted) continue;
    if (!chunk || !*chunk) break;
    std::lock_guard lock(shared.mu);
    shared.outputs.emplace_back((*chunk)->stream == OutputStream::kStdout ? 1 : 2,
                                std::move((*chunk)->data));
    shared.Wake();
  }
  auto status = process.Wait();
  std::lock_guard lock(shared.mu);
  shared.status = ExitJson(argv, status);
  shared.done = true;
  shared.Wake();
}

}  // namespace

void RunExecSession(Conn& conn, Pod& pod, const ExecSpec& spec, const std::string& protocol,
                    bool want_stdout, bool want_stderr) {
  const bool base64 = protocol == "v4.base64.channel.k8s.io";
  const bool v5 = protocol == "v5.channel.k8s.io";
  auto frame = [&](int channel, std::string_view data) {
    if (base64) {
      return conn.WriteAll(
          EncodeFrame(1, std::string(1, static_cast<char>('0' + channel)) + Base64(data)));
    }
    return conn.WriteAll(
        EncodeFrame(2, std::string(1, static_cast<char>(channel)) + std::string(data)));
  };
  auto finish = [&](const std::string& status) {
    frame(3, status);
    conn.WriteAll(EncodeFrame(8, std::string("\x03\xe8", 2)));
  };
  // The empty frame on the lowest writable channel tells the client the stream is up.
  frame(want_stdout ? 1 : (want_stderr ? 2 : 3), "");
  ExecShared shared;
  if (::pipe(shared.wake) != 0) return;
  std::unique_ptr<Process> process;
  ExecSpec start = spec;
  auto push = [&](ExecShared::Input in) {
    {
      std::lock_guard lock(shared.mu);
      shared.inputs.push_back(std::move(in));
    }
    if (process) process->Interrupt();
  };
  bool client_gone = false;
  // Reads what the client sent; false when it went away.
  auto read_frames = [&](std::optional<std::chrono::milliseconds> wait) {
    if (!conn.Pending()) {
      pollfd fds[2] = {{conn.fd(), POLLIN, 0}, {shared.wake[0], POLLIN, 0}};
      const int ms = wait ? static_cast<int>(wait->count()) : 5000;
      if (::poll(fds, 2, ms) < 0 && errno != EINTR) return false;
      if ((fds[1].revents & POLLIN) != 0) {
        char drain[64];
        (void)!::read(shared.wake[0], drain, sizeof drain);
      }
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) return true;
    }
    if (!conn.Fill(std::chrono::milliseconds(0)) && !conn.timed_out()) return false;
    bool bad = false;
    while (auto f = TakeFrame(conn.buffer(), &bad)) {
      if (f->opcode == 9) {
        conn.WriteAll(EncodeFrame(10, f->payload));
        continue;
      }
      if (f->opcode == 8) return false;
      if (f->opcode != 1 && f->opcode != 2) continue;
      std::string payload = f->payload;
      if (payload.empty()) continue;
      int channel = static_cast<unsigned char>(payload[0]);
      payload.erase(0, 1);
      if (base64) {
        channel -= '0';
        auto decoded = Base64Decode(payload);
        if (!decoded) continue;
        payload = *decoded;
      }
      if (channel == 0 && spec.stdin_open) {
        push({0, payload, {}});
      } else if (channel == 4) {
        boost::system::error_code ec;
        // The client may send several sizes in one frame, one JSON object per line.
        std::stringstream lines(payload);
        std::string line;
        while (std::getline(lines, line)) {
          json::value v = json::parse(line, ec);
          if (ec || !v.is_object()) continue;
          const json::value* width = v.as_object().if_contains("Width");
          const json::value* height = v.as_object().if_contains("Height");
          if (width == nullptr || height == nullptr || !width->is_number() ||
              !height->is_number()) {
            continue;
          }
          TerminalSize size;
          size.cols = static_cast<uint16_t>(width->to_number<int64_t>());
          size.rows = static_cast<uint16_t>(height->to_number<int64_t>());
          if (process) {
            push({2, "", size});
          } else {
            start.tty_size = size;
          }
        }
      } else if (channel == 255 && v5 && !payload.empty() && payload[0] == 0) {
        push({1, "", {}});
      }
    }
    return !bad;
  };
  if (spec.tty) {
    // kubectl sends the terminal's size right after the upgrade; a shell started before it
    // arrives would see 80x24, so the process starts once it came (or soon without it).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (start.tty_size.cols == TerminalSize{}.cols &&
           start.tty_size.rows == TerminalSize{}.rows && std::chrono::steady_clock::now() < until) {
      if (!read_frames(std::chrono::milliseconds(50))) return;
    }
  }
  auto started = pod.Exec(start);
  if (!started) {
    finish(ExitJson(spec.argv, std::unexpected(started.error())));
    ::close(shared.wake[0]);
    ::close(shared.wake[1]);
    return;
  }
  process = std::move(*started);
  process->Interrupt();  // inputs that came before the start
  std::thread driver([&] { Drive(shared, *process, spec.argv); });
  while (true) {
    // Output first, so nothing the process wrote is lost behind its exit status.
    std::deque<std::pair<int, std::string>> outputs;
    bool done;
    std::string status;
    {
      std::lock_guard lock(shared.mu);
      outputs.swap(shared.outputs);
      done = shared.done;
      status = shared.status;
    }
    for (auto& [channel, data] : outputs) {
      if ((channel == 1 && !want_stdout) || (channel == 2 && !want_stderr)) continue;
      if (!frame(channel, data)) client_gone = true;
    }
    if (client_gone) break;
    if (done) {
      finish(status);
      break;
    }
    if (!read_frames(std::nullopt)) {
      client_gone = true;
      break;
    }
  }
  if (client_gone) push({3, "", {}});
  driver.join();
  ::close(shared.wake[0]);
  ::close(shared.wake[1]);
}

}  // namespace codeyard::kubefake
