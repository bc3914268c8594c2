// The agent's calls (agent_protocol.hpp): the workspace's files, through the same
// WorkspaceFiles the local backend uses from the host (symlink refusals, sizes, sha256,
// modes), here on the workspace fd the init hands every holder; and reset, which the init
// does (reset.cpp), sparing this agent, the holder that asked.
#include <sys/socket.h>
#include <unistd.h>

#include "core/try.hpp"
#include "executor/local/pod/agent.hpp"
#include "executor/local/workspace_files.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

// The request body: kInput frames up to kEnd.
Result<AgentBody> ReadBody(AgentStream& stream) {
  std::string bytes;
  while (true) {
    auto frame = stream.Await();
    if (!frame) return Fail(Error::Code::kAborted, "agent: the stream ended inside a request");
    if (frame->type == FrameType::kEnd) break;
    if (frame->type == FrameType::kInput) bytes += frame->payload;
  }
  return DecodeBody(bytes);
}

// One request the init answers on a socket of its own (protocol.hpp): "reset", "usage".
Result<Message> AskInit(const UniqueFd& control, std::string_view type) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::unexpected(SystemError("socketpair"));
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  json::object message;
  message["type"] = type;
  CY_CHECK(SendMessage(control.get(), message, {theirs.get()}));
  theirs.Reset();
  CY_TRY(auto answer, ReceiveMessage(ours.get()));
  if (!answer) {
    return Fail(Error::Code::kUnavailable,
                "agent: the init did not answer the " + std::string(type));
  }
  CloseAll(answer->fds);
  if (answer->type() == "error") return std::unexpected(ErrorFromMessage(answer->body));
  return std::move(*answer);
}

Result<AgentBody> Reset(const UniqueFd& control) {
  CY_CHECK(AskInit(control, "reset"));
  return AgentBody{};
}

// The pod's CPU counter (pod_cpu.hpp), which the init reads: this agent is not its descendant,
// so the agent's own time is not in it.
Result<AgentBody> Usage(const UniqueFd& control) {
  CY_TRY(const Message answer, AskInit(control, "usage"));
  const auto* cpu = answer.body.if_contains("cpu_ms");
  if (cpu == nullptr || !cpu->is_int64()) {
    return Fail(Error::Code::kInternal, "agent: the init's usage answer has no cpu_ms");
  }
  AgentBody reply;
  reply.json["cpu_ms"] = cpu->get_int64();
  return reply;
}

Result<AgentBody> Serve(std::string_view op, const AgentBody& request) {
  UniqueFd workspace;
  CY_TRY(UniqueFd control, ConnectInit(&workspace));
  if (op == "reset") return Reset(control);
  if (op == "usage") return Usage(control);
  if (!workspace.valid()) return Fail(Error::Code::kInternal, "agent: no workspace from the init");
  const WorkspaceFiles files(workspace.Release(), ::getuid(), ::getgid());
  AgentBody reply;
  if (op == "put") {
    CY_TRY(std::vector<FileData> data, TakeFileData(request));
    CY_CHECK(files.Put(data));
  } else if (op == "get") {
    const auto* paths = request.json.if_contains("paths");
    const std::vector<std::string> wanted =
        paths != nullptr ? StringsFromJson(*paths) : std::vector<std::string>{};
    CY_TRY(std::vector<FileData> data, files.Get(wanted));
    PutFileData(reply, data);
  } else if (op == "delete") {
    const auto* paths = request.json.if_contains("paths");
    const std::vector<std::string> doomed =
        paths != nullptr ? StringsFromJson(*paths) : std::vector<std::string>{};
    CY_CHECK(files.Delete(doomed));
  } else if (op == "list") {
    CY_TRY(std::vector<FileEntry> entries, files.List(ListFilesOptionsFromJson(request.json)));
    reply.json["entries"] = ToJson(entries);
  } else {
    return Fail(Error::Code::kInvalidArgument, "agent: unknown op \"" + std::string(op) + "\"");
  }
  return reply;
}

}  // namespace

int ServeCalls(AgentStream& stream) {
  while (true) {
    auto open = stream.Await();
    if (!open) return stream.broken() ? 2 : 0;  // the library closed the stream: done
    boost::system::error_code ec;
    const json::value parsed = json::parse(open->payload, ec);
    const json::value* op = !ec && parsed.is_object() && open->type == FrameType::kOpen
                                ? parsed.get_object().if_contains("op")
                                : nullptr;
    if (op == nullptr || !op->is_string() || op->get_string() == "reset") {
      (void)stream.SendError(
          Error(Error::Code::kInvalidArgument,
                "agent: a files stream takes {\"op\":put|get|delete|list|usage}"));
      return 2;
    }
    (void)ServeCall(stream, op->get_string());
    if (stream.broken()) return 2;
  }
}

int ServeCall(AgentStream& stream, std::string_view op) {
  auto request = ReadBody(stream);
  if (!request) {
    (void)stream.SendError(request.error());
    return stream.broken() ? 2 : 1;
  }
  auto reply = Serve(op, *request);
  if (!reply) {
    (void)stream.SendError(reply.error());
    return 1;
  }
  return stream.SendBody(*reply) ? 0 : 1;
}

}  // namespace codeyard::local::pod
