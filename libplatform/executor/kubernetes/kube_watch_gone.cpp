#include "executor/kubernetes/kube_watch_gone.hpp"

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>

#include "executor/kubernetes/kube_readiness.hpp"
#include "executor/kubernetes/kube_watch.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

// After the list itself failed (the API server away for longer than a call's retries, a
// missing RBAC grant), the next try; the watch's own restarts back off inside ListWatch.
constexpr std::chrono::seconds kRetryList{5};

std::string NameOf(const json::value& object) {
  if (!object.is_object()) return {};
  const json::value* metadata = object.get_object().if_contains("metadata");
  if (metadata == nullptr || !metadata->is_object()) return {};
  const json::value* name = metadata->get_object().if_contains("name");
  return name != nullptr && name->is_string() ? std::string(name->get_string()) : std::string();
}

}  // namespace

struct PodGoneWatcher::State {
  std::mutex mu;
  std::condition_variable stopped;
  std::atomic<bool> stop{false};
};

PodGoneWatcher::PodGoneWatcher(
    std::shared_ptr<Client> client, Resource pods, Query query,
    std::function<void(const std::string& name, const std::string& why)> on_gone)
    : state_(std::make_shared<State>()) {
  // The thread owns what it uses, so it may outlive this object (see the header).
  thread_ = std::thread([state = state_, client = std::move(client), pods = std::move(pods),
                         query = std::move(query), on_gone = std::move(on_gone)] {
    const auto judge = [&](const json::value& object, bool deleted) {
      const std::string name = NameOf(object);
      if (name.empty()) return;
      if (deleted) {
        on_gone(name, "deleted");
        return;
      }
      if (!object.is_object()) return;
      const ReadinessVerdict verdict = ClassifyPod(object.get_object());
      if (verdict.state == Readiness::kFailed) on_gone(name, verdict.message);
    };
    ListWatchHandlers handlers{[&](const json::value& list) {
                                 const json::value* items =
                                     list.is_object() ? list.get_object().if_contains("items")
                                                      : nullptr;
                                 if (items == nullptr || !items->is_array()) return;
                                 for (const json::value& item : items->get_array())
                                   judge(item, false);
                               },
                               [&](const WatchEvent& event) {
                                 judge(event.object, event.type == WatchEvent::Type::kDeleted);
                               },
                               [&] { return !state->stop.load(); }, std::chrono::milliseconds(200)};
    while (!state->stop.load()) {
      if (ListWatch(*client, pods, query, handlers)) continue;  // stopped
      std::unique_lock lock(state->mu);
      state->stopped.wait_for(lock, kRetryList, [&] { return state->stop.load(); });
    }
  });
}

PodGoneWatcher::~PodGoneWatcher() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->stopped.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

}  // namespace codeyard::kube
