// The terminal WebSocket protocol (codeyard/terminals.hpp): the hello a browser sends first and
// the resize messages after it, both JSON from the client. The first byte picks the parser,
// the rest is the message. Beyond not crashing: a parsed size lies in [1, 1000] and the
// terminal number in [1, 64], as the header promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codeyard/terminals.hpp"
#include "fuzz_util.hpp"

namespace {

void Check(bool ok, const char* what) { codeyard::fuzz::Check(ok, "terminal_fuzz", what); }

void CheckSize(const codeyard::TerminalSize& size) {
  Check(size.cols >= 1 && size.cols <= 1000 && size.rows >= 1 && size.rows <= 1000,
        "size out of [1, 1000]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view message(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    auto hello = codeyard::terminal::ParseHello(message);
    if (hello) {
      CheckSize(hello->size);
      Check(hello->terminal >= 1 && hello->terminal <= 64, "terminal out of [1, 64]");
    }
  } else {
    auto resize = codeyard::terminal::ParseResize(message);
    if (resize) CheckSize(*resize);
  }
  return 0;
}
