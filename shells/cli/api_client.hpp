// The CLI's client of a running server: the login kept on disk and authenticated JSON calls
// over libcurl. The login (server URL, username, access and refresh token) lives in
// `$XDG_CONFIG_HOME/codeyard/login.json` (else `~/.config/codeyard/login.json`), the folder
// mode 0700 and the file 0600, written atomically. An expired or refused access token is
// traded once for a new pair with the refresh token (rotated, so the file is rewritten);
// a server error becomes an Error with the server's code and message, so ExitCodeFor gives
// the same exit codes as the local commands. Single-threaded.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "login_file.hpp"

namespace codeyard::cli {

// The folder the login lives in.
[[nodiscard]] std::filesystem::path ConfigDir();
// Reads the saved login; kUnauthenticated "not logged in" when there is none.
[[nodiscard]] Result<Login> LoadLogin();
[[nodiscard]] Result<void> SaveLogin(const Login& login);
// Removes the saved login; ok when there was none.
[[nodiscard]] Result<void> ForgetLogin();

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// One HTTP request; kUnavailable when the server cannot be reached.
[[nodiscard]] Result<HttpResponse> HttpCall(std::string_view method, const std::string& url,
                                            const std::vector<std::string>& headers,
                                            const std::string& body);

// The server's error answer as an Error (code from its "code", message from its "message").
[[nodiscard]] Error ErrorFromResponse(const HttpResponse& response);

// Fills `login`'s tokens from a /auth/login or /auth/refresh answer.
[[nodiscard]] Result<void> ReadTokens(const HttpResponse& response, Login& login);

class ApiClient {
 public:
  // Loads the saved login; raises CommandFailed (exit 4) when not logged in.
  ApiClient();

  // METHOD /api/v1<path> with a JSON body (null: none); the parsed answer (null for 204).
  // Raises CommandFailed on an HTTP or server error.
  boost::json::value Call(std::string_view method, const std::string& path,
                          const boost::json::value& body = nullptr);
  // The same with raw bytes in and out (files); `headers` are added ("If-Match: ...").
  HttpResponse Raw(std::string_view method, const std::string& path, const std::string& body,
                   const std::vector<std::string>& headers = {});

  [[nodiscard]] const Login& login() const { return login_; }

 private:
  HttpResponse Send(std::string_view method, const std::string& path, const std::string& body,
                    const std::vector<std::string>& headers);
  void Refresh();

  Login login_;
};

// "a b/c" -> "a%20b/c": a workspace path in a URL (slashes kept).
[[nodiscard]] std::string EscapePath(std::string_view path);

}  // namespace codeyard::cli
