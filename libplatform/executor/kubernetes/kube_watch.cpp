#include "executor/kubernetes/kube_watch.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_http_impl.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

// Lines queued before the transfer thread waits for the caller.
constexpr std::size_t kMaxQueuedLines = 1024;

std::string ResourceVersionOf(const json::value& object) {
  if (!object.is_object()) return {};
  const auto* metadata = object.get_object().if_contains("metadata");
  if (metadata == nullptr || !metadata->is_object()) return {};
  const auto* rv = metadata->get_object().if_contains("resourceVersion");
  return rv != nullptr && rv->is_string() ? std::string(rv->get_string()) : "";
}

class CurlWatch final : public Watch {
 public:
  CurlWatch(Client::Impl& client, std::string url, std::string what, long timeout_ms)
      : client_(client), what_(std::move(what)) {
    easy_ = client_.Fresh();
    thread_ = std::thread([this, url = std::move(url), timeout_ms] { Run(url, timeout_ms); });
  }

  ~CurlWatch() override {
    Stop();
    if (thread_.joinable()) thread_.join();
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
  }

  Result<std::optional<WatchEvent>> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    const bool ready = changed_.wait_for(
        lock, timeout, [&] { return !lines_.empty() || done_ || stopped_.load(); });
    if (!lines_.empty()) {
      std::string line = std::move(lines_.front());
      lines_.pop_front();
      changed_.notify_all();
      lock.unlock();
      auto event = ParseWatchEvent(line, what_);
      if (!event) return Fail(event.error());
      return std::optional<WatchEvent>(std::move(*event));
    }
    if (!ready || stopped_.load()) return std::optional<WatchEvent>();
    if (failure_) return Fail(*failure_);
    ended_ = true;
    return std::optional<WatchEvent>();
  }

  bool ended() const override {
    std::lock_guard lock(mutex_);
    return ended_;
  }

  std::optional<std::chrono::seconds> retry_after() const override {
    std::lock_guard lock(mutex_);
    return retry_after_;
  }

  void Stop() override {
    stopped_ = true;
    std::lock_guard lock(mutex_);
    changed_.notify_all();
  }

 private:
  static std::size_t OnData(char* data, std::size_t size, std::size_t count, void* self) {
    return static_cast<CurlWatch*>(self)->Feed(std::string_view(data, size * count));
  }

  static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* self) {
    std::string_view line(data, size * count);
    constexpr std::string_view kName = "retry-after:";
    if (line.size() > kName.size() &&
        std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      auto* watch = static_cast<CurlWatch*>(self);
      std::lock_guard lock(watch->mutex_);
      watch->retry_after_ = ParseRetryAfter(line.substr(kName.size()));
    }
    return size * count;
  }

  static int OnProgress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<CurlWatch*>(self)->stopped_.load() ? 1 : 0;
  }

  std::size_t Feed(std::string_view data) {
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
      error_body_.append(data);  // a refused watch answers with a Status
      return data.size();
    }
    std::unique_lock lock(mutex_);
    splitter_.Feed(data, [&](std::string_view line) {
      if (!line.empty()) lines_.emplace_back(line);
    });
    changed_.notify_all();
    // A caller that falls behind holds back the server rather than losing events.
    changed_.wait(lock, [&] { return lines_.size() < kMaxQueuedLines || stopped_.load(); });
    return stopped_.load() ? 0 : data.size();
  }

  void Run(const std::string& url, long timeout_ms) {
    std::optional<Error> failure;
    if (easy_ == nullptr) {
      failure = Error(Error::Code::kInternal, "kubernetes: curl_easy_init failed");
    } else {
      curl_slist* headers = client_.Headers({"Accept: application/json"}, false);
      char error_text[CURL_ERROR_SIZE] = {};
      curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
      curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, OnData);
      curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
      curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, OnHeader);
      curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
      curl_easy_setopt(easy_, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(easy_, CURLOPT_XFERINFOFUNCTION, OnProgress);
      curl_easy_setopt(easy_, CURLOPT_XFERINFODATA, this);
      curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_text);
      curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(client_.config().request_timeout.count()));
      curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, timeout_ms);
      const CURLcode code = curl_easy_perform(easy_);
      curl_slist_free_all(headers);
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      if (code == CURLE_OK && status != 200) {
        failure = ErrorFromStatus(status, error_body_, what_);
        // A rotated token: the caller's next watch (or list) sends the new one.
        if (status == 401) (void)client_.Token(true);
      } else if (code != CURLE_OK && code != CURLE_ABORTED_BY_CALLBACK &&
                 code != CURLE_WRITE_ERROR && code != CURLE_OPERATION_TIMEDOUT) {
        // A broken stream is an ordinary end only once events flowed; a watch that never
        // connected is the caller's to report.
        if (status == 0) {
          failure = Error(Error::Code::kUnavailable,
                          "kubernetes: " + what_ + ": " +
                              (error_text[0] != '\0' ? error_text : curl_easy_strerror(code)));
        }
      }
    }
    // What is left after the last newline is an event cut off by a broken connection (an
    // API server restarting): dropped, since the caller's next watch resumes before it.
    std::lock_guard lock(mutex_);
    failure_ = std::move(failure);
    done_ = true;
    changed_.notify_all();
  }

  Client::Impl& client_;
  const std::string what_;
  CURL* easy_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> lines_;
  LineSplitter splitter_;
  std::string error_body_;
  std::optional<Error> failure_;
  bool done_ = false;
  bool ended_ = false;
  std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace

void LineSplitter::Feed(std::string_view data, const std::function<void(std::string_view)>& line) {
  buffer_.append(data);
  std::size_t start = 0;
  for (std::size_t newline = buffer_.find('\n'); newline != std::string::npos;
       newline = buffer_.find('\n', start)) {
    std::string_view text(buffer_.data() + start, newline - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line(text);
    start = newline + 1;
  }
  buffer_.erase(0, start);
}

Result<WatchEvent> ParseWatchEvent(std::string_view line, std::string_view what) {
  boost::system::error_code ec;
  json::value parsed = json::parse(line, ec);
  if (ec || !parsed.is_object()) {
    return Fail(Error::Code::kInternal,
                "kubernetes: " + std::string(what) + ": a watch line is not a JSON object");
  }
  auto& event = parsed.get_object();
  const auto* type = event.if_contains("type");
  const auto* object = event.if_contains("object");
  if (type == nullptr || !type->is_string() || object == nullptr) {
    return Fail(Error::Code::kInternal,
                "kubernetes: " + std::string(what) + ": a watch event lacks type or object");
  }
  const std::string_view name = type->get_string();
  WatchEvent out;
  if (name == "ERROR") {
    long code = 500;
    if (object->is_object()) {
      if (const auto* c = object->get_object().if_contains("code"); c != nullptr && c->is_int64()) {
        code = static_cast<long>(c->get_int64());
      }
    }
    return Fail(ErrorFromStatus(code, json::serialize(*object), what));
  }
  if (name == "ADDED") {
    out.type = WatchEvent::Type::kAdded;
  } else if (name == "MODIFIED") {
    out.type = WatchEvent::Type::kModified;
  } else if (name == "DELETED") {
    out.type = WatchEvent::Type::kDeleted;
  } else if (name == "BOOKMARK") {
    out.type = WatchEvent::Type::kBookmark;
  } else {
    return Fail(Error::Code::kInternal, "kubernetes: " + std::string(what) +
                                            ": unknown watch event type \"" + std::string(name) +
                                            "\"");
  }
  out.resource_version = ResourceVersionOf(*object);
  out.object = std::move(event["object"]);
  return out;
}

Result<std::unique_ptr<Watch>> Client::StartWatch(const Resource& target, const Query& query,
                                                  std::string_view resource_version,
                                                  int timeout_seconds) {
  if (timeout_seconds <= 0) {
    return Fail(Error::Code::kInvalidArgument, "kubernetes: a watch needs timeout_seconds > 0");
  }
  Query full = query;
  full.emplace_back("watch", "true");
  if (!resource_version.empty()) full.emplace_back("resourceVersion", resource_version);
  full.emplace_back("allowWatchBookmarks", "true");
  full.emplace_back("timeoutSeconds", std::to_string(timeout_seconds));
  // The server ends the stream after timeoutSeconds; the transfer's own limit is a backstop.
  const long limit_ms = (static_cast<long>(timeout_seconds) + 30) * 1000;
  return std::unique_ptr<Watch>(std::make_unique<CurlWatch>(
      *impl_, impl_->Url(target, full), "watch " + target.Describe(), limit_ms));
}

bool IsTransientWatchError(const Error& error) noexcept {
  // kUnavailable: refused, throttled (429) or 5xx; kUnauthenticated: a token that rotated
  // (the client has re-read it by now, and the next list fails for good if it is still bad).
  return error.code() == Error::Code::kUnavailable || error.code() == Error::Code::kUnauthenticated;
}

Result<void> ListWatch(Client& client, const Resource& target, const Query& query,
                       const ListWatchHandlers& handlers) {
  std::string rv;
  bool need_list = true;
  int failures = 0;
  while (handlers.keep_going()) {
    if (need_list) {
      auto list = client.Get(target, query);
      if (!list) return Fail(list.error());
      rv = ResourceVersionOf(*list);
      handlers.on_list(*list);
      need_list = false;
    }
    auto watch = client.StartWatch(target, query, rv);
    if (!watch) return Fail(watch.error());
    while (handlers.keep_going()) {
      auto event = (*watch)->Next(handlers.poll);
      if (!event) {
        if (IsExpired(event.error())) {
          need_list = true;
          break;
        }
        if (!IsTransientWatchError(event.error())) return Fail(event.error());
        // The API server restarting or throttling: back off, then list again (the list
        // retries within its own deadline and fails for good if the server stays away).
        // In slices of `poll`, so a caller that stops is not held for a long Retry-After.
        const auto until =
            std::chrono::steady_clock::now() +
            BackoffDelay(Backoff{}, std::min(failures++, 6), 0.5, (*watch)->retry_after());
        while (handlers.keep_going() && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              handlers.poll, until - std::chrono::steady_clock::now()));
        }
        need_list = true;
        break;
      }
      failures = 0;
      if (!*event) {
        if ((*watch)->ended()) break;  // watch again from rv
        continue;
      }
      if (!(*event)->resource_version.empty()) rv = (*event)->resource_version;
      if ((*event)->type != WatchEvent::Type::kBookmark) handlers.on_event(**event);
    }
  }
  return {};
}

}  // namespace codeyard::kube
