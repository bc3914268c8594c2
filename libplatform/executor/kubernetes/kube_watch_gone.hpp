// Follows codeyard's pods on the API server with one list+watch (ListWatch) and reports each
// pod that goes away underneath its holders: deleted, evicted, failed, its node gone. The
// executor marks the KubePod it handed out as terminated then, so a terminal, a run or the
// workspace service sees the pod gone at once instead of calling into it until a call fails.
//
// Threading: the watch runs on a thread of its own, which calls `on_gone` (from no lock of
// ours); the destructor stops it and waits for it, unless it runs on that thread itself (an
// `on_gone` that dropped the last owner), which then ends on its own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "executor/kubernetes/kube_http.hpp"

namespace codeyard::kube {

class PodGoneWatcher {
 public:
  // `on_gone(name, why)` for every pod matching `query` (a labelSelector) in `pods` that is
  // deleted or can never run again (kube_readiness' kFailed), perhaps more than once.
  PodGoneWatcher(std::shared_ptr<Client> client, Resource pods, Query query,
                 std::function<void(const std::string& name, const std::string& why)> on_gone);
  ~PodGoneWatcher();
  PodGoneWatcher(const PodGoneWatcher&) = delete;
  PodGoneWatcher& operator=(const PodGoneWatcher&) = delete;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace codeyard::kube
