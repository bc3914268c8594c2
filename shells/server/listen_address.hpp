// Turning the configured server.listen host into what libwebsockets binds, and explaining a
// failed bind. lws takes an interface name or a numeric address in `iface` (NULL for every
// address), and when it cannot bind it only says so in its log; so the server resolves the
// host itself beforehand and, after a failure, repeats the bind on a probe socket to learn the
// errno ("address already in use"). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard::server {

struct ListenAddress {
  std::string numeric;  // "127.0.0.1", "::1"; empty for the wildcard addresses
  bool ipv6 = false;    // bind an AF_INET6 socket
};

// "127.0.0.1" and "::1" stay as they are; "0.0.0.0" and "::" (or "") become the wildcard of
// their family; a name such as "localhost" resolves to its first address. kInvalidArgument
// if it does not resolve.
[[nodiscard]] Result<ListenAddress> ResolveListenHost(const std::string& host);

// Why binding `address`:`port` fails, in lower case ("address already in use"), found by
// binding a probe socket the way lws does (SO_REUSEADDR); a generic text if the probe binds.
[[nodiscard]] std::string DescribeBindFailure(const ListenAddress& address, int port);

// "127.0.0.1:8080", "[::1]:8080".
[[nodiscard]] std::string HostPort(std::string_view host, int port);

}  // namespace codeyard::server
