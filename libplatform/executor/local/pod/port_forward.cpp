#include "executor/local/pod/port_forward.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "executor/local/pod/sys.hpp"

namespace codeyard::local::pod {

void ForwardPort(Message message) {
  if (message.fds.size() != 1) {
    CloseAll(message.fds);  // nowhere to answer
    return;
  }
  UniqueFd reply(message.fds.front());
  message.fds.clear();
  const auto answer_error = [&reply](Error::Code code, const std::string& text) {
    (void)SendMessage(reply.get(), ErrorMessage(Error(code, text)));
  };
  const auto* port_value = message.body.if_contains("port");
  if (port_value == nullptr || !port_value->is_int64() || port_value->get_int64() < 1 ||
      port_value->get_int64() > 65535) {
    return answer_error(Error::Code::kInvalidArgument, "a forward names a port from 1 to 65535");
  }
  const auto port = static_cast<uint16_t>(port_value->get_int64());
  UniqueFd connection(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!connection.valid()) {
    const Error error = SystemError("socket");
    return answer_error(error.code(), error.message());
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Loopback answers a connect within the call (accepted, or refused by a reset) unless the
  // listener's backlog is full; then EINPROGRESS, and the library waits for the outcome.
  if (::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) !=
          0 &&
      errno != EINPROGRESS) {
    const int err = errno;
    if (err == ECONNREFUSED) {
      return answer_error(Error::Code::kUnavailable,
                          "nothing listens on port " + std::to_string(port) + " in the pod");
    }
    const Error error = SystemError("connect", err);
    return answer_error(error.code(), error.message());
  }
  boost::json::object answer;
  answer["type"] = "connected";
  (void)SendMessage(reply.get(), answer, {connection.get()});
}

}  // namespace codeyard::local::pod
