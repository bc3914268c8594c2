// The preview relay's HTTP exchange (core/relay/http_exchange.hpp): what a program in a
// workspace answers the relay is read by the server, so a hostile program must not crash it:
// the response head (status line, headers, framing), a body by Content-Length, chunked or to
// the end, the checks of a WebSocket switch. The other way the relay writes a browser's
// request for the program (SerializeRequest), from the browser's method, target and headers.
// Input: [mode][piece size][bytes...]; mode 0-2 reads a response to GET, HEAD or POST, mode 3
// checks a switch, mode 4 serializes a request whose parts come from the input, mode 5 reads
// a job's callback_url (core/jobs/callbacks.hpp: where the server will POST), checked against
// an allow-list.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "byte_stream.hpp"
#include "core/jobs/callbacks.hpp"
#include "core/relay/http_exchange.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int mode = data[0] % 6;
  const std::size_t piece = std::size_t{data[1]} * 8 + 1;
  std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  constexpr auto kTimeout = std::chrono::milliseconds(2000);
  if (mode <= 2) {
    static constexpr const char* kMethods[] = {"GET", "HEAD", "POST"};
    codeyard::fuzz::ByteStream stream(std::move(rest), piece);
    (void)codeyard::relay::ReadResponse(stream, kMethods[mode], 1 << 20, kTimeout);
    return 0;
  }
  if (mode == 5) {
    static const std::vector<std::string> kHosts = {"receiver.example", "127.0.0.1:9000", "::1",
                                                    "[::1]:8080"};
    (void)codeyard::jobs::ParseCallbackUrl(rest, kHosts);
    return 0;
  }
  FuzzedDataProvider in(data + 2, size - 2);
  codeyard::HeaderFields headers;
  if (mode == 3) {
    const std::string key = in.ConsumeRandomLengthString(64);
    const std::string offered = in.ConsumeRandomLengthString(128);
    while (in.remaining_bytes() > 0 && headers.size() < 16) {
      std::string name = in.ConsumeRandomLengthString(32);
      headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(128));
    }
    (void)codeyard::relay::CheckSwitch(headers, key, offered);
    return 0;
  }
  codeyard::RelayRequest request;
  request.method = in.ConsumeRandomLengthString(16);
  request.target = in.ConsumeRandomLengthString(256);
  const bool upgrade = in.ConsumeBool();
  while (in.remaining_bytes() > 0 && request.headers.size() < 16) {
    std::string name = in.ConsumeRandomLengthString(32);
    request.headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(128));
  }
  (void)codeyard::relay::SerializeRequest(request, "127.0.0.1:8000", upgrade);
  return 0;
}
