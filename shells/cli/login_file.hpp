// The saved login's text (`login.json`, see api_client.hpp): what the CLI writes and how it reads
// it back. The file is the user's own, but anything may have been put there, so the parser
// takes each field only when it has the right type and nothing else. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard::cli {

struct Login {
  std::string url;  // the server's base URL, e.g. http://127.0.0.1:8080 (no /api/v1)
  std::string username;
  std::string access_token;
  int64_t access_expires_at = 0;  // ms since the epoch, local clock
  std::string refresh_token;

  bool operator==(const Login&) const = default;
};

// One JSON object and a newline.
[[nodiscard]] std::string LoginText(const Login& login);
// kDataLoss when `text` is not a JSON object; a field missing or of another type is left
// empty (0 for the expiry). ParseLogin(LoginText(l)) == l for every login.
[[nodiscard]] Result<Login> ParseLogin(std::string_view text);

}  // namespace codeyard::cli
