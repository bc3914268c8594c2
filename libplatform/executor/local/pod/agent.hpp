// `codeyard-pod agent`: one operation of the agent protocol (agent_protocol.hpp) served over
// its own stdin and stdout, then exit. The library runs it through an exec API (Kubernetes);
// it reaches the pod's init (`codeyard-pod container`, container.hpp) on the abstract control
// socket. Single-threaded: one poll loop per operation. The pieces below are shared by the
// operations' files (agent.cpp: the stream, sessions and ports; agent_exec.cpp: exec;
// agent_calls.cpp: files and reset).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "codeyard/error.hpp"
#include "executor/local/pod/agent_protocol.hpp"
#include "executor/local/pod/sys.hpp"
#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

// Runs the agent; the program's exit code (0 served, 1 failed, 2 protocol error).
int RunAgent();

// The agent's end of the stream: frames in on stdin, out on stdout.
class AgentStream {
 public:
  // The next frame, waiting for it; nullopt at the end of stdin or on a protocol error
  // (broken()). Reads exactly one frame, never beyond it: after a "session" open frame the
  // bytes that follow are the session's, relayed raw. The library writes each frame whole,
  // so once stdin polls readable a frame follows without a stall.
  std::optional<Frame> Await();
  [[nodiscard]] bool broken() const { return broken_; }
  // Writes one frame (blocking: the library always drains its side). False when the stream
  // is gone.
  bool Send(FrameType type, std::string_view payload);
  bool SendJson(FrameType type, const boost::json::object& object);
  bool SendError(const Error& error);
  // A call's reply body as kOutput frames and kEnd.
  bool SendBody(const AgentBody& body);

  // From now on Send queues its frames and writes what stdout takes at once, never waiting
  // (an exec's relay, which must go on reading the library's frames while its output waits).
  void Unblock();
  // Writes more of what waits; false once stdout is gone.
  bool Drain();
  [[nodiscard]] size_t backlog() const { return outbox_.size(); }
  // Writes everything that waits, as long as that takes (the relay's end).
  bool Flush();

 private:
  bool broken_ = false;
  bool unblocked_ = false;
  std::string outbox_;
};

// A holder's control socket to the init; `workspace` receives its workspace fd, if asked.
Result<UniqueFd> ConnectInit(UniqueFd* workspace = nullptr);

// The operations (after the kOpen frame).
int ServeExec(AgentStream& stream, const boost::json::object& open);
int ServeCall(AgentStream& stream, std::string_view op);
// "files": file calls one after another on one stream, until it ends.
int ServeCalls(AgentStream& stream);

}  // namespace codeyard::local::pod
