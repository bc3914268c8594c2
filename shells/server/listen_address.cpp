#include "listen_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace codeyard::server {
namespace {

std::string LowerFirst(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

Result<ListenAddress> ResolveListenHost(const std::string& host) {
  if (host.empty() || host == "::") return ListenAddress{"", true};
  if (host == "0.0.0.0") return ListenAddress{"", false};
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return ListenAddress{host, false};
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return ListenAddress{host, true};

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Fail(Error::Code::kInvalidArgument,
                "cannot resolve listen host \"" + host + "\": " + gai_strerror(rc));
  }
  char text[INET6_ADDRSTRLEN] = {};
  ListenAddress out;
  if (found->ai_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(found->ai_addr);
    inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof(text));
    out.ipv6 = true;
  } else {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    inet_ntop(AF_INET, &sa->sin_addr, text, sizeof(text));
  }
  freeaddrinfo(found);
  out.numeric = text;
  return out;
}

std::string DescribeBindFailure(const ListenAddress& address, int port) {
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (address.ipv6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<uint16_t>(port));
    sa->sin6_addr = in6addr_any;
    if (!address.numeric.empty()) inet_pton(AF_INET6, address.numeric.c_str(), &sa->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<uint16_t>(port));
    sa->sin_addr.s_addr = htonl(INADDR_ANY);
    if (!address.numeric.empty()) inet_pton(AF_INET, address.numeric.c_str(), &sa->sin_addr);
    len = sizeof(sockaddr_in);
  }
  const int fd = socket(address.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return LowerFirst(std::system_category().message(errno));
  const int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  std::string reason = "the socket could not be opened (see the libwebsockets log)";
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0 || listen(fd, 1) != 0) {
    reason = LowerFirst(std::system_category().message(errno));
  }
  close(fd);
  return reason;
}

std::string HostPort(std::string_view host, int port) {
  const bool bracket = host.find(':') != std::string_view::npos;
  return (bracket ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

}  // namespace codeyard::server
