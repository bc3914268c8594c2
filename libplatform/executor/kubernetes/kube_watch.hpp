// A Kubernetes watch: `GET ...?watch=true&resourceVersion=RV&allowWatchBookmarks=true&
// timeoutSeconds=N` read as a stream of JSON lines, one event each. The caller pulls events
// with Next(timeout); a thread per watch runs the HTTP transfer and queues the lines, so a
// slow caller holds back the server (the queue is bounded) and never loses an event.
//
// A stream that ends (the server's timeoutSeconds, a dropped connection) is normal: Next
// returns std::nullopt with ended() true, and the caller watches again from the last
// resourceVersion it saw (ListWatch does all of that). An ERROR event with code 410 comes
// back as an error for which IsExpired is true: list again.
//
// Threading: Next from one thread at a time; Stop from any thread (it wakes Next).
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"
#include "executor/kubernetes/kube_http.hpp"

namespace codeyard::kube {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type = Type::kAdded;
  boost::json::value object;     // the object (a BOOKMARK's carries only its resourceVersion)
  std::string resource_version;  // object.metadata.resourceVersion
};

// One line of a watch stream decoded. An ERROR event becomes its Status' error.
[[nodiscard]] Result<WatchEvent> ParseWatchEvent(std::string_view line, std::string_view what);

// Splits a byte stream into lines as chunks arrive.
class LineSplitter {
 public:
  // Appends `data` and calls `line` for each complete line (without the newline).
  void Feed(std::string_view data, const std::function<void(std::string_view)>& line);
  // What is left after the last newline.
  [[nodiscard]] const std::string& rest() const noexcept { return buffer_; }

 private:
  std::string buffer_;
};

class Watch {
 public:
  virtual ~Watch() = default;

  // The next event; std::nullopt when `timeout` passed (ended() false) or the stream ended
  // (ended() true: watch again). Errors: the server's ERROR event (IsExpired for 410), an
  // HTTP error when the watch was refused, kUnavailable when the connection broke.
  [[nodiscard]] virtual Result<std::optional<WatchEvent>> Next(
      std::chrono::milliseconds timeout) = 0;
  [[nodiscard]] virtual bool ended() const = 0;
  // The Retry-After of a refused watch (429, 503), once Next has returned its error: the
  // caller waits at least that long before it lists or watches again.
  [[nodiscard]] virtual std::optional<std::chrono::seconds> retry_after() const = 0;
  // Ends the transfer; a Next blocked on another thread returns.
  virtual void Stop() = 0;
};

// Whether a watch that failed with `error` should be started again after a fresh list (the
// API server refused or dropped it, or our token rotated) rather than its error reported.
[[nodiscard]] bool IsTransientWatchError(const Error& error) noexcept;

// Lists `target` and then watches from the list's resourceVersion, listing again whenever the
// watch expires (410) and watching again whenever a stream ends. `on_list` gets every list
// (the full state: the caller replaces what it knew), `on_event` each event after it. A
// watch the API server refuses or cuts (a restart, a 429, a rotated token) is listed again
// after a backoff; a list that fails within its own retries is the error returned.
// Returns when `keep_going` says false (checked at least every `poll`), or with the error
// that stopped it (not 410, not a normal end: those are handled here).
struct ListWatchHandlers {
  std::function<void(const boost::json::value& list)> on_list;
  std::function<void(const WatchEvent& event)> on_event;
  std::function<bool()> keep_going;
  std::chrono::milliseconds poll{500};
};
[[nodiscard]] Result<void> ListWatch(Client& client, const Resource& target, const Query& query,
                                     const ListWatchHandlers& handlers);

}  // namespace codeyard::kube
