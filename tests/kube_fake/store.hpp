// The fake API server's object store: pods, persistentvolumeclaims, events and namespaces as
// JSON objects, one global resourceVersion bumped on every write, a retained window of watch
// events (compactable, so an old resourceVersion gets 410 Expired), label and field
// selectors, the Status errors of apimachinery's errors.go, and a JSON file under --state so
// objects survive a restart. Test code only. Threading: every method may be called from any
// thread; one mutex guards the whole store and a condition variable wakes watchers.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace codeyard::kubefake {

namespace json = boost::json;

// An API error: the HTTP code and the Status object its body carries.
struct ApiError {
  int code = 500;
  json::object status;
  int retry_after_s = 0;
};

ApiError MakeStatus(int code, const std::string& reason, const std::string& message,
                    json::object details = {});
ApiError NotFound(const std::string& resource, const std::string& name);
ApiError AlreadyExists(const std::string& resource, const std::string& name);
ApiError Conflict(const std::string& resource, const std::string& name);
ApiError BadRequest(const std::string& message);
// An unknown path: 404 with no details.
ApiError NoSuchPath();
struct Cause {
  std::string field;
  std::string message;  // "Invalid value: ...", "Required value"
  std::string reason = "FieldValueInvalid";
};
ApiError Invalid(const std::string& kind, const std::string& name,
                 const std::vector<Cause>& causes);

// "2026-01-02T03:04:05Z", and with nanoseconds for log timestamps.
std::string Rfc3339(std::chrono::system_clock::time_point t);
std::string Rfc3339Nano(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& s);

// DNS-1123 subdomain (pods, PVCs) and label (namespaces); empty when valid, else the reason.
std::string CheckSubdomain(const std::string& name);

// A dotted field of an object ("metadata.name", "involvedObject.uid"); "" when absent.
std::string FieldValue(const json::object& object, const std::string& path);
const json::object* ObjectAt(const json::object& object, const std::string& key);

// labelSelector and fieldSelector; Parse returns nullopt for a malformed selector.
struct Requirement {
  std::string key;
  std::string op;  // "=", "!=", "in", "notin", "exists", "!exists"
  std::vector<std::string> values;
};
using Selector = std::vector<Requirement>;
std::optional<Selector> ParseLabelSelector(const std::string& text);
std::optional<Selector> ParseFieldSelector(const std::string& text);
bool MatchesLabels(const json::object& object, const Selector& selector);
bool MatchesFields(const json::object& object, const Selector& selector);

struct WatchEvent {
  uint64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string resource;
  std::string ns;
  json::object object;
  // MODIFIED: the object before, so a filtered watch can tell an object that entered or left
  // its selector (sent as ADDED or DELETED, as the API server's watch cache does).
  json::object previous;
};

class Store {
 public:
  // `state_file` empty: nothing is persisted.
  explicit Store(std::string state_file);

  // Loads the state file; returns the pods that were Running or Pending when it was written
  // (the caller marks them failed: their processes died with the previous fake).
  std::vector<json::object> Load();

  [[nodiscard]] uint64_t CurrentRv();
  bool NamespaceExists(const std::string& ns);

  // Fills uid, resourceVersion, creationTimestamp; AlreadyExists when the name is taken.
  std::optional<ApiError> Create(const std::string& resource, json::object& object);
  std::optional<json::object> Get(const std::string& resource, const std::string& ns,
                                  const std::string& name);
  // All objects of `resource` in `ns` ("" = every namespace), and the list's resourceVersion.
  std::vector<json::object> List(const std::string& resource, const std::string& ns, uint64_t* rv);
  // Runs `change` on the stored object; if it returns true, bumps the resourceVersion and
  // records MODIFIED. Returns the object after the change, nullopt when absent. `uid`, when
  // given, must match (so a late update never touches a new pod of the same name).
  std::optional<json::object> Update(const std::string& resource, const std::string& ns,
                                     const std::string& name,
                                     const std::function<bool(json::object&)>& change,
                                     const std::string& uid = "");
  // Removes the object and records DELETED (with a bumped resourceVersion).
  std::optional<json::object> Remove(const std::string& resource, const std::string& ns,
                                     const std::string& name, const std::string& uid = "");

  // Events of `resource` after `rv`, waiting until one arrives or `until`. Sets *expired
  // (with the oldest resourceVersion still retained) when `rv` is older than the window.
  std::vector<WatchEvent> EventsAfter(const std::string& resource, uint64_t rv,
                                      std::chrono::steady_clock::time_point until, bool* expired,
                                      uint64_t* oldest);
  // Drops every retained event: a watch from any earlier resourceVersion then gets 410.
  void Compact();
  // Wakes every waiting watcher (shutdown).
  void WakeAll();

 private:
  void RecordLocked(const std::string& type, const std::string& resource, const json::object& o,
                    const json::object* previous = nullptr);
  void SaveLocked();

  std::string state_file_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t rv_ = 1;
  uint64_t compacted_rv_ = 1;  // events with rv <= this are gone
  // resource -> "ns/name" -> object
  std::map<std::string, std::map<std::string, json::object>> objects_;
  std::vector<WatchEvent> events_;
  std::deque<std::string> event_order_;  // keys of Event objects, oldest first
};

}  // namespace codeyard::kubefake
