// The wire format of the terminal WebSocket (`/api/v1/workspaces/{id}/terminal`), shared by
// the lws glue and the terminal hub, with no networking in it. Every message is one
// WebSocket message (binary, or text for the JSON ones) whose first byte is its type:
//   client -> server: '0' input bytes, '1' resize {"cols":c,"rows":r}, '2' ping (payload
//                     echoed), and first of all the hello: a JSON object starting with '{',
//                     {"token":"<access token>","cols":c,"rows":r,"readonly":false}
//   server -> client: '0' output bytes, '1' title (the workspace name), '2' pong,
//                     '3' status JSON {"state":"starting"|"running"|"exited",...}
// The close codes below end a connection with a reason (docs/api.md lists them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard::server::terminal {

// Message types (the first byte).
inline constexpr char kInput = '0';
inline constexpr char kResize = '1';
inline constexpr char kPing = '2';
inline constexpr char kHelloStart = '{';
inline constexpr char kOutput = '0';
inline constexpr char kTitle = '1';
inline constexpr char kPong = '2';
inline constexpr char kStatus = '3';

// Close codes: the RFC 6455 ones, and 4xxx for the application (like HTTP statuses).
inline constexpr uint16_t kCloseNormal = 1000;           // the shell exited
inline constexpr uint16_t kCloseGoingAway = 1001;        // the server is shutting down
inline constexpr uint16_t kCloseProtocolError = 1002;    // an unmasked client frame
inline constexpr uint16_t kCloseUnsupported = 1003;      // unknown message type
inline constexpr uint16_t kCloseInvalidPayload = 1007;   // malformed JSON in a message
inline constexpr uint16_t kClosePolicy = 1008;           // a protocol rule was broken
inline constexpr uint16_t kCloseTooBig = 1009;           // a message over the size cap
inline constexpr uint16_t kCloseInternal = 1011;         // the shell or pod failed
inline constexpr uint16_t kCloseTryAgain = 1013;         // the server is busy
inline constexpr uint16_t kCloseUnauthenticated = 4001;  // no, bad or expired token
inline constexpr uint16_t kCloseNotFound = 4004;         // no such workspace (or not yours)
inline constexpr uint16_t kCloseLimit = 4029;            // a running-workspace limit

// The largest message a client may send (a paste is split by clients beyond this).
inline constexpr std::size_t kMaxClientMessage = std::size_t{1} << 20;

struct Close {
  uint16_t code = kCloseNormal;
  std::string reason;  // at most 123 bytes on the wire; longer ones are cut
};

struct Hello {
  std::string token;
  TerminalSize size;
  bool readonly = false;
};

// Parses the hello. kInvalidArgument naming the field: not a JSON object, no "token" string,
// cols/rows not integers in [1, 1000], readonly not a boolean. Size fields are optional.
[[nodiscard]] Result<Hello> ParseHello(std::string_view message);

// Parses a resize payload (after the type byte), same rules as the hello's size.
[[nodiscard]] Result<TerminalSize> ParseResize(std::string_view payload);

// A message: the type byte, then the payload.
[[nodiscard]] std::string Message(char type, std::string_view payload);

// A status message: '3' followed by `status` serialized.
[[nodiscard]] std::string StatusMessage(const boost::json::object& status);

// The close for a failed attach: the error's code mapped to a close code, its message as
// the reason.
[[nodiscard]] Close CloseFor(const Error& error);

}  // namespace codeyard::server::terminal
