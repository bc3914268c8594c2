// The language-server framing (codeyard/language_servers.hpp TakeLspMessages): a language
// server in a workspace's pod writes "Content-Length: N\r\n\r\n" framed JSON-RPC that the
// server cuts into messages for the editor; the server is the user's program as far as we
// know. The input arrives in pieces (first byte: piece size), as a pipe delivers it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codeyard/language_servers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = std::size_t{data[0]} + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string buffer;
  while (!input.empty()) {
    const std::string_view next = input.substr(0, piece);
    input.remove_prefix(next.size());
    buffer.append(next);
    auto messages = codeyard::TakeLspMessages(buffer);
    if (!messages) return 0;  // a framing error ends the session
  }
  return 0;
}
