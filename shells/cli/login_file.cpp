// The saved login's text (see login_file.hpp).
#include "login_file.hpp"

#include <boost/json.hpp>

namespace codeyard::cli {

std::string LoginText(const Login& login) {
  const boost::json::object o{{"url", login.url},
                              {"username", login.username},
                              {"access_token", login.access_token},
                              {"access_expires_at", login.access_expires_at},
                              {"refresh_token", login.refresh_token}};
  return boost::json::serialize(o) + "\n";
}

Result<Login> ParseLogin(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return Fail(Error::Code::kDataLoss, "not a login");
  const auto& o = v.as_object();
  const auto str = [&](const char* key) -> std::string {
    const auto* f = o.if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  Login login;
  login.url = str("url");
  login.username = str("username");
  login.access_token = str("access_token");
  login.refresh_token = str("refresh_token");
  if (const auto* e = o.if_contains("access_expires_at"); e != nullptr && e->is_int64()) {
    login.access_expires_at = e->as_int64();
  }
  return login;
}

}  // namespace codeyard::cli
