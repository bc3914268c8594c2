// The init's half of Pod::ConnectPort ("forward" messages, protocol.hpp): it opens a TCP
// connection to 127.0.0.1:<port> from inside the pod's network namespace, which only the pod's
// own processes (and so the init) can reach, and hands the socket back to the library. The
// bytes then flow between the library and the program in the pod without passing through the
// init, so a busy preview costs the init's loop nothing. Never blocks: the connect is
// non-blocking and the library waits for it to complete. Init thread only.
#pragma once

#include "executor/local/protocol.hpp"

namespace codeyard::local::pod {

// Serves one {"type":"forward","port":N} message: answers on its attached reply socket with
// {"type":"connected"} and the socket attached, or an error message. Takes every fd of the
// message.
void ForwardPort(Message message);

}  // namespace codeyard::local::pod
