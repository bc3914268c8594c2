// The CLI's saved login (shells/cli/login_file.hpp, ParseLogin): the text of
// ~/.config/codeyard/login.json, which anything may have written. Checks: a text is a login or
// kDataLoss, never a crash; a login read is written and read back the same (LoginText).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "login_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto login = codeyard::cli::ParseLogin(text);
  if (!login) {
    if (login.error().code() != codeyard::Error::Code::kDataLoss) std::abort();
    return 0;
  }
  auto again = codeyard::cli::ParseLogin(codeyard::cli::LoginText(*login));
  if (!again || !(*again == *login)) std::abort();
  return 0;
}
