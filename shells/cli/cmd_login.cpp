// `codeyard login URL --username NAME --password-stdin` and `codeyard logout`: the client's
// login to a running server, kept in the user's config dir (api_client.hpp). Logging out
// ends the login on the server too (its refresh and access tokens stop working at once).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "api_client.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

struct LoginFlags {
  std::string url;
  std::string username;
  bool password_stdin = false;
};

void DoLogin(const LoginFlags& flags) {
  if (!flags.password_stdin) {
    Raise(Error(Error::Code::kInvalidArgument,
                "login: give the password on stdin with --password-stdin"));
  }
  std::string password;
  if (!std::getline(std::cin, password)) {
    Raise(Error(Error::Code::kInvalidArgument, "login: no password on stdin"));
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  Login login;
  login.url = flags.url;
  while (!login.url.empty() && login.url.back() == '/') login.url.pop_back();
  if (!login.url.starts_with("http://") && !login.url.starts_with("https://")) {
    Raise(Error(Error::Code::kInvalidArgument, "login: URL must start with http:// or https://"));
  }
  const boost::json::object body{{"username", flags.username}, {"password", password}};
  auto response = HttpCall("POST", login.url + "/api/v1/auth/login",
                           {"Content-Type: application/json"}, boost::json::serialize(body));
  if (!response) Raise(response.error().WithContext("login"));
  if (response->status != 200) Raise(ErrorFromResponse(*response).WithContext("login"));
  if (auto read = ReadTokens(*response, login); !read) Raise(read.error());
  login.username = flags.username;
  if (auto saved = SaveLogin(login); !saved) Raise(saved.error());
  std::printf("logged in to %s as %s\n", login.url.c_str(), login.username.c_str());
}

void DoLogout() {
  auto login = LoadLogin();
  if (!login) {
    std::printf("not logged in\n");
    return;
  }
  const boost::json::object body{{"refresh_token", login->refresh_token}};
  auto response = HttpCall("POST", login->url + "/api/v1/auth/logout",
                           {"Content-Type: application/json"}, boost::json::serialize(body));
  // The local login goes whatever the server says: a server that is gone or already ended
  // the login must not keep a user logged in here.
  if (auto forgot = ForgetLogin(); !forgot) Raise(forgot.error());
  if (!response || (response->status != 204 && response->status != 401)) {
    std::fprintf(stderr,
                 "codeyard: logout: the server did not confirm; the login is removed "
                 "here\n");
  }
  std::printf("logged out of %s\n", login->url.c_str());
}

}  // namespace

void AddLoginCommands(CLI::App& app) {
  auto flags = std::make_shared<LoginFlags>();
  auto* login = app.add_subcommand("login", "log in to a running server (keeps the token)");
  login->footer(
      "Examples:\n"
      "  echo \"$PW\" | codeyard login http://127.0.0.1:8080 --username alice --password-stdin\n"
      "The login is kept in $XDG_CONFIG_HOME/codeyard/login.json (else\n"
      "~/.config/codeyard/login.json), mode 0600.");
  login->add_option("url", flags->url, "the server, e.g. https://codeyard.example.org")->required();
  login->add_option("--username,-u", flags->username, "your username")->required();
  login->add_flag("--password-stdin", flags->password_stdin, "read the password from stdin");
  login->callback([flags] { DoLogin(*flags); });

  auto* logout = app.add_subcommand("logout", "end the login on the server and forget it here");
  logout->footer(
      "Examples:\n"
      "  codeyard logout");
  logout->callback([] { DoLogout(); });
}

}  // namespace codeyard::cli
