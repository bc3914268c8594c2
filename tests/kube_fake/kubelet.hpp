// The fake API server's kubelet: runs each pod object as a real local sandbox pod (the
// library's `local:` executor), starts the container's command in it, keeps its output as
// the pod's log, moves the pod through Pending -> Running -> Succeeded/Failed, records the
// pod's events (Scheduled, Pulled, Created, Started, Killing, Evicted), and ends pods on
// delete after their grace period. Test code only. Threading: every method may be called
// from any thread; each pod has its own driver thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/backend/executor.hpp"
#include "store.hpp"

namespace codeyard::kubefake {

struct LogLine {
  std::chrono::system_clock::time_point time;
  std::string text;  // with its newline, except a last partial line
};

// One running pod: the sandbox and its container's main process.
struct RunningPod {
  std::string ns, name, uid;
  std::shared_ptr<Pod> pod;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<LogLine> log;
  size_t log_bytes = 0;
  bool started = false;  // the container's command runs
  bool ended = false;    // the container's command ended (or never started)
  bool deleting = false;
  std::string end_reason;  // set for Evicted
  int pending_signal = 0;  // for the driver thread to send (a Process has one driver)
  std::unique_ptr<Process> main;
  std::thread driver;
};

class Kubelet {
 public:
  Kubelet(Store& store, std::shared_ptr<Executor> executor);
  ~Kubelet();

  // Starts the pod (created in the store) on a thread of its own.
  void Start(const json::object& pod);
  // The pod was deleted with `grace` seconds: TERM now, KILL after grace, then the object goes.
  void Terminate(const std::string& uid, int64_t grace);
  // Ends the pod as the kubelet's eviction does: Failed/Evicted, then DELETED.
  bool Evict(const std::string& uid);
  std::shared_ptr<RunningPod> Find(const std::string& uid);
  // Faults (/fake/): the next `count` pods stay Pending, unschedulable with the scheduler's
  // `message` (PodScheduled=False, a FailedScheduling event) until deleted; pods started
  // from now on spend `delay` pulling their image (ContainerCreating) before they run.
  void SetUnschedulable(int count, std::string message);
  void SetPullDelay(std::chrono::milliseconds delay);
  // Records an Event about a pod.
  void RecordEvent(const json::object& pod, const std::string& type, const std::string& reason,
                   const std::string& message, const std::string& component = "kubelet");

 private:
  void Run(std::shared_ptr<RunningPod> rp, json::object spec);
  // Drops a pod whose object is gone (its log with it).
  void Forget(const std::string& uid);
  void Finish(const std::shared_ptr<RunningPod>& rp, std::optional<int> exit_code,
              const std::string& reason, const std::string& message);

  Store& store_;
  std::shared_ptr<Executor> executor_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<RunningPod>> pods_;  // by uid
  bool stopping_ = false;
  int unschedulable_left_ = 0;
  std::string unschedulable_message_;
  std::chrono::milliseconds pull_delay_{0};
};

}  // namespace codeyard::kubefake
