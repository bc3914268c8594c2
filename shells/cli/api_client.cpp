// The CLI's HTTP client and saved login (see api_client.hpp).
#include "api_client.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "core/http_text.hpp"

namespace codeyard::cli {
namespace {

constexpr std::string_view kApi = "/api/v1";
// Refresh this long before the access token's expiry, so a request never races it.
constexpr int64_t kRefreshMarginMs = 30'000;
constexpr long kTimeoutS = 120;  // a submission or exec waits at most ~60 s server-side

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::filesystem::path LoginFile() { return ConfigDir() / "login.json"; }

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t Header(char* data, size_t size, size_t n, void* out) {
  const std::string_view line(data, size * n);
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = std::string(value);
  }
  return size * n;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

}  // namespace

std::filesystem::path ConfigDir() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the CLI is single-threaded (api_client.hpp)
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "codeyard";
  }
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): as above
  return std::filesystem::path(home != nullptr ? home : ".") / ".config" / "codeyard";
}

Result<Login> LoadLogin() {
  std::ifstream in(LoginFile());
  if (!in) {
    return Fail(Error::Code::kUnauthenticated, "not logged in; run `codeyard login URL` first");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto login = ParseLogin(text.str());
  if (!login) {
    return Fail(Error::Code::kDataLoss,
                LoginFile().string() + " is not a login; run `codeyard login URL` again");
  }
  return login;
}

Result<void> SaveLogin(const Login& login) {
  const std::filesystem::path dir = ConfigDir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0) {
    return Fail(Error::Code::kPermissionDenied, "cannot create " + dir.string());
  }
  const std::string text = LoginText(login);
  // Created 0600 from the start (never readable by others, even for a moment), then renamed
  // over the old one so a crash leaves either login whole.
  const std::filesystem::path tmp = dir / "login.json.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Error::Code::kPermissionDenied, "cannot write " + tmp.string());
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || ::rename(tmp.c_str(), LoginFile().c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Fail(Error::Code::kInternal, "cannot write " + LoginFile().string());
  }
  return {};
}

Result<void> ForgetLogin() {
  std::error_code ec;
  std::filesystem::remove(LoginFile(), ec);
  if (ec) return Fail(Error::Code::kPermissionDenied, "cannot remove " + LoginFile().string());
  return {};
}

Result<HttpResponse> HttpCall(std::string_view method, const std::string& url,
                              const std::vector<std::string>& headers, const std::string& body) {
  static CurlGlobal global;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Fail(Error::Code::kInternal, "http: cannot start libcurl");
  HttpResponse response;
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  const std::string verb(method);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb.c_str());
  if (verb != "GET" && verb != "DELETE") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, Header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, kTimeoutS);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    return Fail(Error::Code::kUnavailable, "cannot reach " + url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Error ErrorFromResponse(const HttpResponse& response) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(response.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_object()) {
      const auto& o = e->as_object();
      const auto* code = o.if_contains("code");
      const auto* message = o.if_contains("message");
      if (code != nullptr && code->is_string() && message != nullptr && message->is_string()) {
        return Error(CodeFromName(code->as_string()), std::string(message->as_string()));
      }
    }
  }
  Error::Code code = Error::Code::kInternal;
  if (response.status == 404) code = Error::Code::kNotFound;
  if (response.status == 401) code = Error::Code::kUnauthenticated;
  if (response.status == 403) code = Error::Code::kPermissionDenied;
  if (response.status == 409 || response.status == 412) code = Error::Code::kConflict;
  if (response.status == 429 || response.status == 503) code = Error::Code::kUnavailable;
  return Error(code, "server answered HTTP " + std::to_string(response.status));
}

Result<void> ReadTokens(const HttpResponse& response, Login& login) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(response.body, ec);
  const boost::json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
  const auto* access = o ? o->if_contains("access_token") : nullptr;
  const auto* refresh = o ? o->if_contains("refresh_token") : nullptr;
  const auto* expires = o ? o->if_contains("expires_in") : nullptr;
  if (access == nullptr || !access->is_string() || refresh == nullptr || !refresh->is_string()) {
    return Fail(Error::Code::kInternal, "the server's login answer has no tokens");
  }
  login.access_token = access->as_string();
  login.refresh_token = refresh->as_string();
  const int64_t ttl_s = expires != nullptr && expires->is_int64() ? expires->as_int64() : 0;
  login.access_expires_at = NowMs() + ttl_s * 1000;
  return {};
}

ApiClient::ApiClient() {
  auto login = LoadLogin();
  if (!login) Raise(login.error());
  login_ = std::move(*login);
}

void ApiClient::Refresh() {
  const boost::json::object body{{"refresh_token", login_.refresh_token}};
  auto response = HttpCall("POST", login_.url + std::string(kApi) + "/auth/refresh",
                           {"Content-Type: application/json"}, boost::json::serialize(body));
  if (!response) Raise(response.error());
  if (response->status != 200) {
    Raise(ErrorFromResponse(*response).WithContext(
        "the login has ended; run `codeyard login` again"));
  }
  if (auto read = ReadTokens(*response, login_); !read) Raise(read.error());
  if (auto saved = SaveLogin(login_); !saved) Raise(saved.error());
}

HttpResponse ApiClient::Send(std::string_view method, const std::string& path,
                             const std::string& body, const std::vector<std::string>& headers) {
  if (login_.access_expires_at != 0 && NowMs() + kRefreshMarginMs >= login_.access_expires_at) {
    Refresh();
  }
  const std::string url = login_.url + std::string(kApi) + path;
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> all = headers;
    all.push_back("Authorization: Bearer " + login_.access_token);
    auto response = HttpCall(method, url, all, body);
    if (!response) Raise(response.error());
    // A token refused before its time (a server restarted with a new secret, a clock apart):
    // one refresh, one more try.
    if (response->status == 401 && attempt == 0) {
      Refresh();
      continue;
    }
    return std::move(*response);
  }
}

HttpResponse ApiClient::Raw(std::string_view method, const std::string& path,
                            const std::string& body, const std::vector<std::string>& headers) {
  return Send(method, path, body, headers);
}

boost::json::value ApiClient::Call(std::string_view method, const std::string& path,
                                   const boost::json::value& body) {
  std::vector<std::string> headers;
  std::string text;
  if (!body.is_null()) {
    headers.push_back("Content-Type: application/json");
    text = boost::json::serialize(body);
  }
  const HttpResponse response = Send(method, path, text, headers);
  if (response.status < 200 || response.status > 299) Raise(ErrorFromResponse(response));
  if (response.status == 204 || response.body.empty()) return nullptr;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(response.body, ec);
  if (ec) Raise(Error(Error::Code::kInternal, "the server's answer is not JSON"));
  return v;
}

std::string EscapePath(std::string_view path) { return http::PercentEncode(path, "/"); }

}  // namespace codeyard::cli
