// A program's answer to a WebSocket upgrade relayed to it (PortRelay::Upgrade): the relay
// passes the browser's own handshake on and, once the program switched, only bytes; what it
// checks is that the 101 came from a WebSocket server that read this handshake.
#include <openssl/sha.h>
#include <sodium.h>

#include <array>

#include "core/relay/http_exchange.hpp"

namespace codeyard::relay {
namespace {

// RFC 6455 4.1: the server proves it read the key with base64(SHA-1(key + this GUID)).
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string ExpectedAccept(std::string_view key) {
  const std::string text = std::string(key) + std::string(kAcceptGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  std::array<char, sodium_base64_ENCODED_LEN(SHA_DIGEST_LENGTH, sodium_base64_VARIANT_ORIGINAL)>
      out{};
  sodium_bin2base64(out.data(), out.size(), digest.data(), digest.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  return out.data();
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool Offered(std::string_view offered, std::string_view chosen) {
  while (!offered.empty()) {
    const std::size_t comma = offered.find(',');
    if (Trim(offered.substr(0, comma)) == chosen) return true;
    offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
  }
  return false;
}

}  // namespace

Result<void> CheckSwitch(const HeaderFields& headers, std::string_view key,
                         std::string_view offered) {
  std::string_view accept;
  std::optional<std::string_view> chosen;
  for (const auto& [name, value] : headers) {
    if (name == "sec-websocket-accept") accept = value;
    if (name == "sec-websocket-protocol") chosen = value;
  }
  // A 101 without the right proof is not a WebSocket server that read this handshake (a
  // proxy, or a program that answers every request with 101): refused, never relayed.
  if (accept != ExpectedAccept(key)) {
    return Fail(Error::Code::kUnavailable,
                accept.empty() ? std::string("preview: the program's WebSocket handshake has no "
                                             "Sec-WebSocket-Accept")
                               : "preview: the program's Sec-WebSocket-Accept \"" +
                                     std::string(accept.substr(0, 64)) +
                                     "\" does not match the browser's Sec-WebSocket-Key");
  }
  // The browser would fail the connection itself; a 502 says whose fault it is.
  if (chosen && !Offered(offered, Trim(*chosen))) {
    return Fail(Error::Code::kUnavailable, "preview: the program chose the subprotocol \"" +
                                               std::string(chosen->substr(0, 64)) +
                                               "\", which the browser did not offer");
  }
  return {};
}

}  // namespace codeyard::relay
