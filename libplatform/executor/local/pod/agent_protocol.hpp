// The agent protocol: how the library reaches a pod it can only exec into (Kubernetes). The
// library runs `codeyard-pod agent` in the pod's container with stdin and stdout (no tty), and
// both ends speak frames over that byte stream: [type: 1 byte][length: 4 bytes, big endian]
// [payload], the format and FrameType of the session protocol (session_frames.hpp), payloads
// at most kMaxFramePayload (64 KiB). A longer frame is a protocol error: the reader stops, the
// agent ends what it serves and exits 2. Both ends live in this repository and are built
// together, so there is no versioning.
//
// The agent serves one operation per stream, named by the first frame the library sends:
// kOpen with JSON {"op": ...}. It then talks to the pod's init (`codeyard-pod container`) over
// the init's control socket, an abstract unix socket (kAgentSocket) speaking the local
// protocol (protocol.hpp), so everything it starts is the init's child: Reset and the
// terminal sessions see it. When its stdin ends or breaks before the operation is done, the
// agent ends it (kills an exec'd process, detaches from a session, closes a port) and exits.
//
// "exec" {"op":"exec","exec":ExecRequest,"stdin_open":bool}. The agent answers kAttached
// {"pid"} or kError (an ErrorMessage), then sends kOutput (stdout or the terminal) and kStderr
// as they come and finally kExit (an ExitReport) once the process ended and its output is
// drained. The library sends kInput (stdin bytes), kEnd (close stdin), kResize {"rows","cols"}
// and kSignal {"signal"}. Without stdin_open the library sends its stdin data and kEnd.
// With stdin_open the agent holds at most kAgentMaxPendingInput bytes of input the process
// has not read yet:
// it answers each write to the process with kTaken (the count written, or dropped once the
// process closed its stdin), so the library knows the room left and never sends past it; an
// input frame that would pass the bound anyway is dropped with a kError (resource_exhausted).
// kExit carries "oom_killed" besides the report: the process died of SIGKILL while the
// container's cgroup counted a new OOM kill (memory.events or v1 memory.oom_control).
// "session" {"op":"session"}: from then on the agent relays raw bytes both ways between the
// stream and a session attachment of the init: the session protocol itself, unchanged.
// "port" {"op":"port","port":N}: the agent connects to 127.0.0.1:N (it is in the pod's network
// namespace) and answers kAttached {} or kError; then kInput/kOutput carry the bytes and kEnd
// half-closes either way; the stream ends once both ways ended.
// "put", "get", "delete", "list", "reset", "usage": calls. The library sends a request body as
// kInput frames and kEnd; the agent answers with a reply body as kOutput frames and kEnd, or
// kError. "files" {"op":"files"}: calls one after another on one stream, each its own kOpen
// {"op":"put"|"get"|"delete"|"list"|"usage"}, request body and reply, until the library ends the
// stream: the library keeps such streams open per pod, so a file call costs no exec.
// "usage" answers {"cpu_ms":N}: the pod's CPU counter, which the init reads (pod_cpu.hpp).
// A body is [json length: 4 bytes, big endian][JSON][blob]: file contents travel in the blob,
// concatenated in the order of the JSON's "files", each of the "size" the JSON gives.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"
#include "executor/local/pod/session_frames.hpp"

namespace codeyard::local {

// The init's control socket in container mode, in the abstract namespace (no file: it
// survives Reset emptying /tmp, and needs no writable file system).
inline constexpr std::string_view kAgentSocket = "codeyard-pod.control";

// Input of an exec the agent keeps for a process that does not read it yet: the default
// max_pending_input of terminals and run sessions (codeyard/terminals.hpp).
inline constexpr size_t kAgentMaxPendingInput = size_t{1} << 20;

// A call's body (see above).
struct AgentBody {
  boost::json::object json;
  std::string blob;
};
std::string EncodeBody(const AgentBody& body);
Result<AgentBody> DecodeBody(std::string_view bytes);

// Files in a body: metadata in json["files"], contents in the blob.
void PutFileData(AgentBody& body, std::span<const FileData> files);
Result<std::vector<FileData>> TakeFileData(const AgentBody& body);
boost::json::array ToJson(std::span<const FileEntry> entries);
Result<std::vector<FileEntry>> FileEntriesFromJson(const boost::json::value& value);
boost::json::object ToJson(const ListFilesOptions& options);
ListFilesOptions ListFilesOptionsFromJson(const boost::json::object& object);
boost::json::array ToJson(std::span<const std::string> strings);
std::vector<std::string> StringsFromJson(const boost::json::value& value);

// Appends `data` as frames of `type`, cut at kMaxFramePayload.
void AppendChunked(std::string& out, FrameType type, std::string_view data);

}  // namespace codeyard::local
