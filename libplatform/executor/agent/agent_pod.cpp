// AgentPod (codeyard/backend/agent_pod.hpp): each operation opens a stream to `codeyard-pod
// agent` and speaks agent_protocol.hpp over it.
#include "codeyard/backend/agent_pod.hpp"

#include <mutex>
#include <vector>

#include "core/try.hpp"
#include "executor/agent/agent_process.hpp"
#include "executor/agent/frame_channel.hpp"
#include "executor/local/local_pod.hpp"
#include "executor/local/local_session.hpp"

namespace codeyard::agent {
namespace {

namespace json = boost::json;

// A port connection relayed by the agent: kInput/kOutput carry the bytes, kEnd half-closes.
class AgentPortStream : public PortStream {
 public:
  explicit AgentPortStream(std::unique_ptr<FrameChannel> channel) : channel_(std::move(channel)) {}

  Result<void> Write(std::string_view data,
                     std::optional<std::chrono::milliseconds> timeout) override {
    (void)timeout;  // the channel's own write deadline applies
    if (data.empty()) return {};
    auto sent = channel_->Send(FrameType::kInput, data);
    if (!sent) return Fail(Error::Code::kAborted, "the port's connection is closed");
    return {};
  }

  Result<std::string> Read(std::size_t max,
                           std::optional<std::chrono::milliseconds> timeout) override {
    std::optional<Clock::time_point> deadline;
    if (timeout) deadline = Clock::now() + *timeout;
    while (buffer_.empty() && !ended_) {
      CY_TRY(auto frame, channel_->Next(deadline));
      if (!frame || frame->type == FrameType::kEnd) {
        ended_ = true;
      } else if (frame->type == FrameType::kOutput) {
        buffer_ = std::move(frame->payload);
      }
    }
    const size_t take = std::min(max, buffer_.size());
    std::string out = buffer_.substr(0, take);
    buffer_.erase(0, take);
    return out;
  }

  Result<void> CloseWrite() override { return channel_->Send(FrameType::kEnd, ""); }

  void Shutdown() override { channel_->Shutdown(); }

 private:
  std::unique_ptr<FrameChannel> channel_;
  std::string buffer_;
  bool ended_ = false;
};

class AgentPod : public Pod {
 public:
  AgentPod(PodInfo info, StreamOpener opener, AgentPodOptions options)
      : info_(std::move(info)), opener_(std::move(opener)), options_(std::move(options)) {}

  const std::string& id() const override { return info_.id; }
  PodInfo Info() const override { return options_.info ? options_.info() : info_; }

  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override {
    if (spec.argv.empty() || spec.argv[0].empty()) {
      return Fail(Error::Code::kInvalidArgument, "exec needs a program to run");
    }
    if (spec.cwd.empty() || spec.cwd.front() != '/') {
      return Fail(Error::Code::kInvalidArgument, "exec cwd must be absolute: \"" + spec.cwd + "\"");
    }
    local::ExecRequest request;
    request.argv = spec.argv;
    request.cwd = spec.cwd;
    request.env = local::MergedEnvironment(info_.spec, spec);
    request.tty = spec.tty;
    request.rows = spec.tty_size.rows;
    request.cols = spec.tty_size.cols;
    if (spec.cpu_time_limit) request.cpu_ms = spec.cpu_time_limit->count();
    if (spec.wall_time_limit) request.wall_ms = spec.wall_time_limit->count();
    request.file_bytes = info_.spec.limits.file_bytes;
    request.open_files = info_.spec.limits.open_files;

    CY_TRY(auto channel, FrameChannel::Open(opener_, options_));
    json::object open;
    open["op"] = "exec";
    open["exec"] = local::ToJson(request);
    open["stdin_open"] = spec.stdin_open;
    std::string out;
    local::AppendFrame(out, FrameType::kOpen, json::serialize(open));
    if (!spec.stdin_open) {
      if (!spec.stdin_data.empty()) local::AppendChunked(out, FrameType::kInput, spec.stdin_data);
      local::AppendFrame(out, FrameType::kEnd, "");
    }
    CY_CHECK(channel->SendRaw(out));
    CY_CHECK(AwaitAttached(*channel, Deadline()));
    return std::unique_ptr<Process>(
        std::make_unique<AgentProcess>(std::move(channel), spec, spec.stdin_open, true));
  }

  Result<void> PutFiles(std::span<const FileData> files) override {
    local::AgentBody body;
    local::PutFileData(body, files);
    CY_CHECK(Call("put", body));
    return {};
  }

  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override {
    local::AgentBody body;
    body.json["paths"] = local::ToJson(paths);
    CY_TRY(auto reply, Call("get", body));
    return local::TakeFileData(reply);
  }

  Result<void> DeleteFiles(std::span<const std::string> paths) override {
    local::AgentBody body;
    body.json["paths"] = local::ToJson(paths);
    CY_CHECK(Call("delete", body));
    return {};
  }

  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
    local::AgentBody body;
    body.json = local::ToJson(options);
    CY_TRY(auto reply, Call("list", body));
    const auto* entries = reply.json.if_contains("entries");
    if (entries == nullptr)
      return Fail(Error::Code::kInternal, "agent pod: a list without entries");
    return local::FileEntriesFromJson(*entries);
  }

  Result<SessionAttachment> OpenSession(std::string_view name, const ExecSpec& spec) override {
    CY_CHECK(local::CheckSessionRequest(name, spec));
    const local::ExecRequest request = local::SessionRequest(info_.spec, spec);
    json::object open;
    open["name"] = name;
    open["exec"] = local::ToJson(request);
    return Attach(open, spec);
  }

  Result<SessionAttachment> JoinSession(std::string_view name) override {
    if (!local::ValidSessionName(name)) {
      return Fail(
          Error::Code::kInvalidArgument,
          "a session name is 1-64 characters of [a-z0-9._-], not \"" + std::string(name) + "\"");
    }
    json::object open;
    open["name"] = name;
    open["join"] = true;
    ExecSpec spec;
    spec.tty = true;
    return Attach(open, spec);
  }

  Result<std::unique_ptr<PortStream>> ConnectPort(uint16_t port) override {
    if (port == 0) return Fail(Error::Code::kInvalidArgument, "port 0 cannot be connected to");
    CY_TRY(auto channel, FrameChannel::Open(opener_, options_));
    json::object open;
    open["op"] = "port";
    open["port"] = port;
    CY_CHECK(channel->Send(FrameType::kOpen, json::serialize(open)));
    CY_CHECK(AwaitAttached(*channel, Deadline()));
    return std::unique_ptr<PortStream>(std::make_unique<AgentPortStream>(std::move(channel)));
  }

  Result<void> Reset() override {
    // Reset ends every process of the pod but its own agent: the idle file streams too.
    {
      std::lock_guard lock(files_mu_);
      idle_files_.clear();
    }
    CY_TRY(auto channel, FrameChannel::Open(opener_, options_));
    bool reusable = false;
    CY_CHECK(Exchange(*channel, "reset", local::AgentBody{}, &reusable));
    return {};
  }

  // The init's counter through the agent, on a kept "files" stream (no exec per sample).
  Result<int64_t> CpuMs() override {
    CY_TRY(const local::AgentBody reply, Call("usage", local::AgentBody{}));
    const auto* cpu = reply.json.if_contains("cpu_ms");
    if (cpu == nullptr || !cpu->is_int64() || cpu->get_int64() < 0) {
      return Fail(Error::Code::kInternal, "agent pod: a usage reply without cpu_ms");
    }
    return cpu->get_int64();
  }

 private:
  [[nodiscard]] Clock::time_point Deadline() const { return Clock::now() + options_.call_timeout; }

  // A session attachment: the agent relays the session protocol, spoken here unchanged.
  Result<SessionAttachment> Attach(const json::object& session_open, const ExecSpec& spec) {
    CY_TRY(auto channel, FrameChannel::Open(opener_, options_));
    std::string out;
    local::AppendFrame(out, FrameType::kOpen, R"({"op":"session"})");
    local::AppendFrame(out, FrameType::kOpen, json::serialize(session_open));
    CY_CHECK(channel->SendRaw(out));
    CY_TRY(json::object attached, AwaitAttached(*channel, Deadline()));
    SessionAttachment attachment;
    const auto* started = attached.if_contains("started");
    attachment.started = started != nullptr && started->is_bool() && started->get_bool();
    attachment.process = std::make_unique<AgentProcess>(std::move(channel), spec, true, false);
    return attachment;
  }

  // A file call on one of the pod's "files" streams: an idle one if there is one (a stream
  // that broke while idle, e.g. by a Reset, is replaced once), else a new one.
  Result<local::AgentBody> Call(std::string_view op, const local::AgentBody& request) {
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<FrameChannel> channel;
      {
        std::lock_guard lock(files_mu_);
        if (!idle_files_.empty()) {
          channel = std::move(idle_files_.back());
          idle_files_.pop_back();
        }
      }
      const bool reused = channel != nullptr;
      if (!reused) {
        CY_TRY(channel, FrameChannel::Open(opener_, options_));
        std::string out;
        local::AppendFrame(out, FrameType::kOpen, R"({"op":"files"})");
        CY_CHECK(channel->SendRaw(out));
      }
      bool reusable = false;
      auto reply = Exchange(*channel, op, request, &reusable);
      if (reusable) {
        std::lock_guard lock(files_mu_);
        if (idle_files_.size() < kMaxIdleFileStreams) idle_files_.push_back(std::move(channel));
        return reply;
      }
      // Only a stream found broken is retried: a call that ran out of time is not run twice.
      if (reply || !reused || attempt > 0 ||
          reply.error().code() == Error::Code::kDeadlineExceeded) {
        return reply;
      }
    }
  }

  // One call on `channel`: the request body up, the reply body down, within the call timeout.
  // `*reusable`: the stream is where another call can follow (the reply, or the agent's
  // error, came whole).
  Result<local::AgentBody> Exchange(FrameChannel& channel, std::string_view op,
                                    const local::AgentBody& request, bool* reusable) {
    *reusable = false;
    json::object open;
    open["op"] = op;
    std::string out;
    local::AppendFrame(out, FrameType::kOpen, json::serialize(open));
    local::AppendChunked(out, FrameType::kInput, local::EncodeBody(request));
    local::AppendFrame(out, FrameType::kEnd, "");
    CY_CHECK(channel.SendRaw(out));
    const auto deadline = Deadline();
    std::string reply;
    while (true) {
      CY_TRY(auto frame, channel.Next(deadline));
      if (!frame) {
        if (auto error = channel.error()) return std::unexpected(error->WithContext("agent pod"));
        return Fail(Error::Code::kUnavailable, "agent pod: the agent ended inside a reply");
      }
      if (frame->type == FrameType::kOutput) {
        reply += frame->payload;
      } else if (frame->type == FrameType::kEnd) {
        break;
      } else if (frame->type == FrameType::kError) {
        boost::system::error_code ec;
        const json::value body = json::parse(frame->payload, ec);
        if (ec || !body.is_object()) return Fail(Error::Code::kInternal, "agent pod: bad error");
        *reusable = true;
        return std::unexpected(local::ErrorFromMessage(body.get_object()));
      }
    }
    *reusable = true;
    return local::DecodeBody(reply);
  }

  // Idle "files" streams kept per pod: enough for the calls that overlap (a sync pass and a
  // page's request); more are opened when needed and closed after their call.
  static constexpr size_t kMaxIdleFileStreams = 2;

  PodInfo info_;
  StreamOpener opener_;
  AgentPodOptions options_;
  std::mutex files_mu_;
  std::vector<std::unique_ptr<FrameChannel>> idle_files_;
};

}  // namespace
}  // namespace codeyard::agent

namespace codeyard::agent {

std::shared_ptr<Pod> MakeAgentPod(PodInfo info, StreamOpener opener, AgentPodOptions options) {
  return std::make_shared<AgentPod>(std::move(info), std::move(opener), std::move(options));
}

}  // namespace codeyard::agent
