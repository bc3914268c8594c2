#include "executor/kubernetes/kube_http.hpp"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "codeyard/backend/port_stream.hpp"
#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_exec.hpp"
#include "executor/kubernetes/kube_http_impl.hpp"
#include "executor/kubernetes/kube_watch.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// Pooled handles beyond this many are closed when released.
constexpr std::size_t kPoolSize = 8;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

void SetBlob(CURL* easy, CURLoption option, const std::string& pem) {
  curl_blob blob{};
  blob.data = const_cast<char*>(pem.data());
  blob.len = pem.size();
  blob.flags = CURL_BLOB_COPY;
  curl_easy_setopt(easy, option, &blob);
}

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct HeaderState {
  std::string content_type;
  std::string retry_after;
};

std::size_t CollectHeader(char* data, std::size_t size, std::size_t count, void* out) {
  auto* state = static_cast<HeaderState*>(out);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
      value.remove_suffix(1);
    }
    if (name == "content-type") state->content_type = value;
    if (name == "retry-after") state->retry_after = value;
  }
  return size * count;
}

double Random01() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

const char* UserAgent() noexcept { return "codeyard/" CODEYARD_VERSION; }

std::string Resource::Path() const {
  std::string path = group_version == "v1" || group_version.empty() ? std::string("/api/v1")
                                                                    : "/apis/" + group_version;
  if (!ns.empty()) path += "/namespaces/" + Escape(ns);
  path += "/" + resource;
  if (!name.empty()) path += "/" + Escape(name);
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

std::string Resource::Describe() const {
  std::string text = resource;
  if (!subresource.empty()) text += "/" + subresource;
  if (!name.empty()) text += " \"" + name + "\"";
  if (!ns.empty()) text += " in ns \"" + ns + "\"";
  return text;
}

std::string DescribeRequest(std::string_view http_verb, const Resource& target) {
  std::string verb;
  if (http_verb == "GET") {
    verb = target.name.empty() ? "list" : "get";
  } else if (http_verb == "POST") {
    verb = "create";
  } else if (http_verb == "PUT") {
    verb = "update";
  } else if (http_verb == "PATCH") {
    verb = "patch";
  } else if (http_verb == "DELETE") {
    verb = target.name.empty() ? "deletecollection" : "delete";
  } else {
    verb = std::string(http_verb);
  }
  return verb + " " + target.Describe();
}

Client::Impl::Impl(Config config) : config_(std::move(config)) { GlobalInit(); }

Client::Impl::~Impl() {
  for (CURL* easy : pool_) curl_easy_cleanup(easy);
}

void Client::Impl::SetupTls(CURL* easy) const {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT,
                   config_.user_agent.empty() ? UserAgent() : config_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!config_.ca_pem.empty()) SetBlob(easy, CURLOPT_CAINFO_BLOB, config_.ca_pem);
  const long verify = config_.insecure_skip_tls_verify ? 0L : 1L;
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, verify);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, verify * 2);
  if (!config_.client_cert_pem.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(easy, CURLOPT_SSLCERT_BLOB, config_.client_cert_pem);
    curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    SetBlob(easy, CURLOPT_SSLKEY_BLOB, config_.client_key_pem);
  }
}

CURL* Client::Impl::Fresh() {
  CURL* easy = curl_easy_init();
  if (easy != nullptr) SetupTls(easy);
  return easy;
}

CURL* Client::Impl::Acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      CURL* easy = pool_.back();
      pool_.pop_back();
      return easy;
    }
  }
  return Fresh();
}

void Client::Impl::Release(CURL* easy) {
  // Forget this call's options (method, body, callbacks) but keep the connection cache.
  curl_easy_reset(easy);
  SetupTls(easy);
  std::lock_guard lock(pool_mutex_);
  if (pool_.size() < kPoolSize) {
    pool_.push_back(easy);
    return;
  }
  curl_easy_cleanup(easy);
}

std::string Client::Impl::Token(bool force) {
  if (config_.token_file.empty()) return config_.token;
  std::lock_guard lock(token_mutex_);
  const auto now = Clock::now();
  if (!force && token_loaded_ && now - token_checked_ < config_.token_reload_interval) {
    return token_;
  }
  token_checked_ = now;
  struct stat st {};
  if (::stat(config_.token_file.c_str(), &st) != 0) return token_;  // keep the last good one
  const bool changed = !token_loaded_ || st.st_mtim.tv_sec != token_mtime_.tv_sec ||
                       st.st_mtim.tv_nsec != token_mtime_.tv_nsec;
  if (!force && !changed) return token_;
  std::ifstream in(config_.token_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (!token.empty()) {
    token_ = std::move(token);
    token_mtime_ = st.st_mtim;
    token_loaded_ = true;
  }
  return token_;
}

curl_slist* Client::Impl::Headers(const std::vector<std::string>& extra, bool force_token) {
  curl_slist* headers = nullptr;
  if (const std::string token = Token(force_token); !token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  }
  for (const auto& header : extra) headers = curl_slist_append(headers, header.c_str());
  return headers;
}

std::string Client::Impl::Url(const Resource& target, const Query& query) const {
  std::string url = config_.server + target.Path();
  char separator = '?';
  for (const auto& [key, value] : query) {
    url += separator;
    url += Escape(key) + "=" + Escape(value);
    separator = '&';
  }
  return url;
}

Result<std::shared_ptr<Client>> Client::Create(Config config) {
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return Fail(Error::Code::kInvalidArgument,
                "kubernetes: the server must be an http(s):// URL, not \"" + config.server + "\"");
  }
  if (config.request_timeout <= std::chrono::milliseconds(0)) {
    return Fail(Error::Code::kInvalidArgument, "kubernetes: request_timeout must be positive");
  }
  return std::shared_ptr<Client>(new Client(std::make_unique<Impl>(std::move(config))));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const Config& Client::config() const noexcept { return impl_->config(); }
std::string Client::Token(bool force) { return impl_->Token(force); }
std::string Client::Url(const Resource& target, const Query& query) const {
  return impl_->Url(target, query);
}

Result<Response> Client::Send(std::string_view verb, const Resource& target, const Query& query,
                              std::string_view body, std::string_view content_type,
                              CallOptions options) {
  const std::string what = DescribeRequest(verb, target);
  const auto timeout = options.timeout.value_or(impl_->config().request_timeout);
  const auto deadline = Clock::now() + timeout;
  const std::string url = impl_->Url(target, query);
  std::vector<std::string> extra = {"Accept: application/json"};
  if (!body.empty()) {
    extra.push_back("Content-Type: " + std::string(content_type));
    // libcurl asks large bodies "Expect: 100-continue" and waits up to a second for an
    // answer some servers never give; the body is sent at once instead.
    extra.push_back("Expect:");
  }
  bool reauthenticated = false;
  for (int attempt = 0;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      return Fail(Error::Code::kDeadlineExceeded, "kubernetes: " + what + ": no answer within " +
                                                      std::to_string(timeout.count()) + " ms");
    }
    CURL* easy = impl_->Acquire();
    if (easy == nullptr) return Fail(Error::Code::kInternal, "kubernetes: curl_easy_init failed");
    curl_slist* headers = impl_->Headers(extra, false);
    Response response;
    HeaderState header_state;
    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, std::string(verb).c_str());
    if (verb == "GET") curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    if (!body.empty() || verb == "POST" || verb == "PUT" || verb == "PATCH") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, CollectHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &header_state);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
    const CURLcode code = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(headers);
    impl_->Release(easy);
    response.content_type = header_state.content_type;
    std::optional<Error> failure;
    std::optional<std::chrono::seconds> retry_after;
    if (code == CURLE_OPERATION_TIMEDOUT) {
      return Fail(Error::Code::kDeadlineExceeded, "kubernetes: " + what + ": no answer within " +
                                                      std::to_string(timeout.count()) + " ms");
    }
    if (code != CURLE_OK) {
      const std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
      const bool tls = code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
                       code == CURLE_SSL_CERTPROBLEM;
      if (tls) {
        // A certificate the config does not trust is not going to get better by retrying.
        return Fail(Error::Code::kUnavailable, "kubernetes: " + what + ": TLS: " + detail);
      }
      failure = Error(Error::Code::kUnavailable, "kubernetes: " + what + ": " + detail);
    } else if (response.status >= 200 && response.status < 300) {
      return response;
    } else if (response.status == 401 && impl_->token_from_file() && !reauthenticated) {
      // The token may have rotated since we last looked: read it now and try once more.
      reauthenticated = true;
      (void)impl_->Token(true);
      continue;
    } else if (IsRetryableStatus(response.status)) {
      failure = ErrorFromStatus(response.status, response.body, what);
      retry_after = ParseRetryAfter(header_state.retry_after);
    } else {
      return Fail(ErrorFromStatus(response.status, response.body, what));
    }
    const auto delay = BackoffDelay(Backoff{}, attempt++, Random01(), retry_after);
    if (Clock::now() + delay >= deadline) {
      // Named, so an operator knows which API server (not which pod) is the trouble.
      return Fail(failure->WithContext("the API server at " + impl_->config().server + ", after " +
                                       std::to_string(attempt) + " attempts"));
    }
    std::this_thread::sleep_for(delay);
  }
}

namespace {

Result<json::value> ParseBody(const Result<Response>& response, std::string_view what) {
  if (!response) return Fail(response.error());
  if (response->body.empty()) return json::value(nullptr);
  boost::system::error_code ec;
  json::value value = json::parse(response->body, ec);
  if (ec) {
    return Fail(Error::Code::kInternal,
                "kubernetes: " + std::string(what) + ": the answer is not JSON: " + ec.message());
  }
  return value;
}

}  // namespace

Result<json::value> Client::Get(const Resource& target, const Query& query, CallOptions options) {
  return ParseBody(Send("GET", target, query, {}, {}, options), DescribeRequest("GET", target));
}

Result<json::value> Client::Post(const Resource& target, const json::value& body,
                                 CallOptions options) {
  return ParseBody(Send("POST", target, {}, json::serialize(body), "application/json", options),
                   DescribeRequest("POST", target));
}

Result<json::value> Client::Put(const Resource& target, const json::value& body,
                                CallOptions options) {
  return ParseBody(Send("PUT", target, {}, json::serialize(body), "application/json", options),
                   DescribeRequest("PUT", target));
}

Result<json::value> Client::Patch(const Resource& target, const json::value& patch,
                                  CallOptions options) {
  return ParseBody(
      Send("PATCH", target, {}, json::serialize(patch), "application/merge-patch+json", options),
      DescribeRequest("PATCH", target));
}

Result<json::value> Client::Delete(const Resource& target, const json::value& body,
                                   const Query& query, CallOptions options) {
  const std::string text = body.is_null() ? std::string() : json::serialize(body);
  return ParseBody(Send("DELETE", target, query, text, "application/json", options),
                   DescribeRequest("DELETE", target));
}

Result<std::unique_ptr<PortStream>> Client::OpenExecStream(std::string_view ns,
                                                           std::string_view pod,
                                                           std::string_view container,
                                                           const std::vector<std::string>& argv) {
  ExecOptions options;
  options.ns = ns;
  options.pod = pod;
  options.container = container;
  options.command = argv;
  options.with_stdin = true;
  options.with_stdout = true;
  options.with_stderr = false;
  options.tty = false;
  auto session = Exec(options);
  if (!session) return Fail(session.error());
  return MakeExecPortStream(std::move(*session));
}

}  // namespace codeyard::kube
