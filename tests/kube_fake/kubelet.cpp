#include "kubelet.hpp"

#include <csignal>
#include <cstdlib>

namespace codeyard::kubefake {

namespace {

constexpr size_t kLogCap = size_t{16} << 20;

std::optional<double> ParseQuantity(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  const std::string suffix(end);
  static const std::map<std::string, double> kScale = {{"", 1},
                                                       {"m", 1e-3},
                                                       {"k", 1e3},
                                                       {"M", 1e6},
                                                       {"G", 1e9},
                                                       {"T", 1e12},
                                                       {"Ki", 1024.0},
                                                       {"Mi", 1048576.0},
                                                       {"Gi", 1073741824.0},
                                                       {"Ti", 1099511627776.0}};
  auto it = kScale.find(suffix);
  if (it == kScale.end()) return std::nullopt;
  return number * it->second;
}

std::string Now() { return Rfc3339(std::chrono::system_clock::now()); }

const json::object& FirstContainer(const json::object& pod) {
  static const json::object kEmpty;
  const json::object* spec = ObjectAt(pod, "spec");
  if (spec == nullptr) return kEmpty;
  const auto* list = spec->if_contains("containers");
  if (list == nullptr || !list->is_array() || list->as_array().empty()) return kEmpty;
  return list->as_array().front().as_object();
}

std::string ContainerName(const json::object& pod) {
  return FieldValue(FirstContainer(pod), "name");
}

}  // namespace

Kubelet::Kubelet(Store& store, std::shared_ptr<Executor> executor)
    : store_(store), executor_(std::move(executor)) {}

Kubelet::~Kubelet() {
  std::map<std::string, std::shared_ptr<RunningPod>> pods;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    pods = pods_;
  }
  for (auto& [uid, rp] : pods) {
    std::shared_ptr<Pod> pod;
    {
      // `deleting` stops a pod still being made (Run checks it once the sandbox exists);
      // with stopping_ set, Finish leaves the objects as they are.
      std::lock_guard lock(rp->mu);
      pod = rp->pod;
      rp->deleting = true;
      rp->cv.notify_all();
    }
    if (pod) (void)executor_->DeletePod(pod->id());
  }
  for (auto& [uid, rp] : pods) {
    if (rp->driver.joinable()) rp->driver.join();
  }
}

void Kubelet::RecordEvent(const json::object& pod, const std::string& type,
                          const std::string& reason, const std::string& message,
                          const std::string& component) {
  const std::string ns = FieldValue(pod, "metadata.namespace");
  const std::string name = FieldValue(pod, "metadata.name");
  char suffix[20];
  std::snprintf(
      suffix, sizeof suffix, "%016llx",
      static_cast<unsigned long long>(std::chrono::system_clock::now().time_since_epoch().count()));
  const std::string now = Now();
  json::object event{
      {"kind", "Event"},
      {"apiVersion", "v1"},
      {"metadata", {{"name", name + "." + suffix}, {"namespace", ns}}},
      {"involvedObject",
       {{"kind", "Pod"},
        {"namespace", ns},
        {"name", name},
        {"uid", FieldValue(pod, "metadata.uid")},
        {"apiVersion", "v1"},
        {"resourceVersion", FieldValue(pod, "metadata.resourceVersion")},
        {"fieldPath", reason == "Scheduled" ? "" : "spec.containers{" + ContainerName(pod) + "}"}}},
      {"reason", reason},
      {"message", message},
      {"source", {{"component", component}, {"host", "codeyard-kube-fake"}}},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
      {"type", type},
      {"eventTime", nullptr},
      {"reportingComponent", component},
      {"reportingInstance", "codeyard-kube-fake"}};
  (void)store_.Create("events", event);
}

std::shared_ptr<RunningPod> Kubelet::Find(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  return it == pods_.end() ? nullptr : it->second;
}

void Kubelet::Start(const json::object& pod) {
  auto rp = std::make_shared<RunningPod>();
  rp->ns = FieldValue(pod, "metadata.namespace");
  rp->name = FieldValue(pod, "metadata.name");
  rp->uid = FieldValue(pod, "metadata.uid");
  std::lock_guard lock(mu_);
  if (stopping_) return;
  pods_[rp->uid] = rp;
  rp->driver = std::thread([this, rp, pod] { Run(rp, pod); });
}

void Kubelet::SetUnschedulable(int count, std::string message) {
  std::lock_guard lock(mu_);
  unschedulable_left_ = count;
  unschedulable_message_ = std::move(message);
}

void Kubelet::SetPullDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  pull_delay_ = delay;
}

void Kubelet::Run(std::shared_ptr<RunningPod> rp, json::object object) {
  std::string unschedulable;
  std::chrono::milliseconds pull_delay;
  {
    std::lock_guard lock(mu_);
    if (unschedulable_left_ > 0) {
      --unschedulable_left_;
      unschedulable = unschedulable_message_;
    }
    pull_delay = pull_delay_;
  }
  if (!unschedulable.empty()) {
    // As the scheduler reports a pod no node can take; it stays so until deleted.
    (void)store_.Update(
        "pods", rp->ns, rp->name,
        [&](json::object& o) {
          auto& status = o["status"].as_object();
          status["phase"] = "Pending";
          status["conditions"] = json::array{{{"type", "PodScheduled"},
                                              {"status", "False"},
                                              {"lastProbeTime", nullptr},
                                              {"lastTransitionTime", Now()},
                                              {"reason", "Unschedulable"},
                                              {"message", unschedulable}}};
          return true;
        },
        rp->uid);
    RecordEvent(object, "Warning", "FailedScheduling", unschedulable, "default-scheduler");
    std::unique_lock lock(rp->mu);
    rp->cv.wait(lock, [&] { return rp->deleting; });
    rp->ended = true;
    lock.unlock();
    bool stopping;
    {
      std::lock_guard kl(mu_);
      stopping = stopping_;
    }
    if (stopping) return;
    // Never on a node: nothing to stop, the object goes at once.
    (void)store_.Remove("pods", rp->ns, rp->name, rp->uid);
    Forget(rp->uid);
    return;
  }
  RecordEvent(object, "Normal", "Scheduled",
              "Successfully assigned " + rp->ns + "/" + rp->name + " to codeyard-kube-fake",
              "default-scheduler");
  (void)store_.Update(
      "pods", rp->ns, rp->name,
      [](json::object& o) {
        o["spec"].as_object()["nodeName"] = "codeyard-kube-fake";
        const std::string name = ContainerName(o);
        const std::string image = FieldValue(FirstContainer(o), "image");
        auto& status = o["status"].as_object();
        status["conditions"] = json::array{
            {{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", Now()}}};
        // As a kubelet reports a container it is still making (fail-fast checks read it).
        status["containerStatuses"] =
            json::array{{{"name", name},
                         {"ready", false},
                         {"started", false},
                         {"restartCount", 0},
                         {"image", image},
                         {"imageID", ""},
                         {"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}}};
        return true;
      },
      rp->uid);
  const json::object& container = FirstContainer(object);
  const std::string image = FieldValue(container, "image");
  if (pull_delay.count() > 0) {
    RecordEvent(object, "Normal", "Pulling", "Pulling image \"" + image + "\"");
    std::unique_lock lock(rp->mu);
    rp->cv.wait_for(lock, pull_delay, [&] { return rp->deleting; });
  }
  PodSpec spec;
  spec.labels["kube-fake-uid"] = rp->uid;
  spec.limits.memory_bytes = uint64_t{1} << 30;
  spec.limits.pids = 512;
  spec.limits.workspace_bytes = uint64_t{1} << 30;
  spec.limits.tmp_bytes = uint64_t{256} << 20;
  if (auto m = ParseQuantity(FieldValue(container, "resources.limits.memory"))) {
    spec.limits.memory_bytes = static_cast<uint64_t>(*m);
  }
  if (auto c = ParseQuantity(FieldValue(container, "resources.limits.cpu"))) spec.limits.cpus = *c;
  if (auto e = ParseQuantity(FieldValue(container, "resources.limits.ephemeral-storage"))) {
    spec.limits.workspace_bytes = static_cast<uint64_t>(*e);
  }
  // A memory-backed emptyDir at /workspace is a tmpfs of its sizeLimit on a real kubelet
  // (SizeMemoryBackedVolumes): the sandbox's workspace cap is the same thing (kexec).
  if (const auto* mounts = container.if_contains("volumeMounts"); mounts && mounts->is_array()) {
    const auto* volumes = object["spec"].as_object().if_contains("volumes");
    for (const auto& m : mounts->as_array()) {
      if (!m.is_object() || FieldValue(m.as_object(), "mountPath") != "/workspace") continue;
      if (volumes == nullptr || !volumes->is_array()) break;
      for (const auto& v : volumes->as_array()) {
        if (!v.is_object() ||
            FieldValue(v.as_object(), "name") != FieldValue(m.as_object(), "name") ||
            FieldValue(v.as_object(), "emptyDir.medium") != "Memory") {
          continue;
        }
        if (auto size = ParseQuantity(FieldValue(v.as_object(), "emptyDir.sizeLimit"))) {
          spec.limits.workspace_bytes = static_cast<uint64_t>(*size);
        }
      }
    }
  }
  ExecSpec exec;
  for (const char* key : {"command", "args"}) {
    if (const auto* list = container.if_contains(key); list != nullptr && list->is_array()) {
      for (const auto& a : list->as_array()) {
        if (a.is_string()) exec.argv.emplace_back(a.as_string());
      }
    }
  }
  // No command: the image's entrypoint, which this fake does not have; keep the pod alive.
  if (exec.argv.empty()) exec.argv = {"sleep", "infinity"};
  if (const auto* env = container.if_contains("env"); env != nullptr && env->is_array()) {
    for (const auto& e : env->as_array()) {
      if (!e.is_object()) continue;
      exec.env[FieldValue(e.as_object(), "name")] = FieldValue(e.as_object(), "value");
    }
  }
  if (auto wd = FieldValue(container, "workingDir"); !wd.empty()) exec.cwd = wd;
  exec.stdin_open = true;
  exec.output_limit_bytes = uint64_t{1} << 40;
  exec.kill_on_output_limit = false;

  auto pod = executor_->CreatePod(spec);
  if (!pod) {
    RecordEvent(object, "Warning", "Failed", "Error: " + pod.error().message());
    Finish(rp, 128, "CreateContainerError", pod.error().message());
    return;
  }
  RecordEvent(object, "Normal", "Pulled",
              "Container image \"" + image + "\" already present on machine");
  RecordEvent(object, "Normal", "Created", "Created container " + ContainerName(object));
  {
    std::lock_guard lock(rp->mu);
    rp->pod = *pod;
    if (rp->deleting) {
      rp->ended = true;
    }
  }
  if (rp->ended) {
    Finish(rp, 137, "Error", "deleted before it started");
    return;
  }
  auto process = (*pod)->Exec(exec);
  if (!process) {
    RecordEvent(object, "Warning", "Failed", "Error: " + process.error().message());
    Finish(rp, 128, "StartError", process.error().message());
    return;
  }
  const std::string started_at = Now();
  {
    std::lock_guard lock(rp->mu);
    rp->main = std::move(*process);
    rp->started = true;
  }
  RecordEvent(object, "Normal", "Started", "Started container " + ContainerName(object));
  const std::string container_id = "codeyard://" + (*pod)->id();
  (void)store_.Update(
      "pods", rp->ns, rp->name,
      [&](json::object& o) {
        auto& status = o["status"].as_object();
        status["phase"] = "Running";
        status["hostIP"] = "127.0.0.1";
        status["podIP"] = "127.0.0.1";
        status["podIPs"] = json::array{{{"ip", "127.0.0.1"}}};
        status["startTime"] =
            status.contains("startTime") ? status["startTime"] : json::value(started_at);
        json::array conditions;
        for (const char* type : {"PodReadyToStartContainers", "Initialized", "Ready",
                                 "ContainersReady", "PodScheduled"}) {
          conditions.push_back(
              {{"type", type}, {"status", "True"}, {"lastTransitionTime", started_at}});
        }
        status["conditions"] = std::move(conditions);
        status["containerStatuses"] =
            json::array{{{"name", ContainerName(o)},
                         {"ready", true},
                         {"started", true},
                         {"restartCount", 0},
                         {"image", image},
                         {"imageID", image},
                         {"containerID", container_id},
                         {"state", {{"running", {{"startedAt", started_at}}}}}}};
        return true;
      },
      rp->uid);

  std::string partial;
  while (true) {
    auto chunk = rp->main->ReadOutput(std::nullopt);
    if (!chunk) {
      if (chunk.error().code() == Error::Code::kAborted) {
        int sig;
        {
          std::lock_guard lock(rp->mu);
          sig = rp->pending_signal;
          rp->pending_signal = 0;
        }
        if (sig != 0) (void)rp->main->Signal(sig);
        continue;
      }
      break;
    }
    if (!*chunk) break;
    std::lock_guard lock(rp->mu);
    const auto now = std::chrono::system_clock::now();
    std::string_view data = (*chunk)->data;
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view piece =
          data.substr(0, nl == std::string_view::npos ? data.size() : nl + 1);
      if (!rp->log.empty() && !rp->log.back().text.ends_with('\n')) {
        rp->log.back().text += piece;
      } else {
        rp->log.push_back({now, std::string(piece)});
      }
      rp->log_bytes += piece.size();
      data.remove_prefix(piece.size());
    }
    while (rp->log_bytes > kLogCap && !rp->log.empty()) {
      rp->log_bytes -= rp->log.front().text.size();
      rp->log.erase(rp->log.begin());
    }
    rp->cv.notify_all();
  }
  auto status = rp->main->Wait();
  std::optional<int> code;
  if (status && status->exit_code) code = *status->exit_code;
  if (status && status->signal) code = 128 + *status->signal;
  Finish(rp, code.value_or(137), code.value_or(1) == 0 ? "Completed" : "Error", "");
}

void Kubelet::Finish(const std::shared_ptr<RunningPod>& rp, std::optional<int> exit_code,
                     const std::string& reason, const std::string& message) {
  std::shared_ptr<Pod> pod;
  bool deleting;
  std::string end_reason;
  bool stopping;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
  }
  {
    std::lock_guard lock(rp->mu);
    rp->ended = true;
    pod = rp->pod;
    deleting = rp->deleting;
    end_reason = rp->end_reason;
    rp->cv.notify_all();
  }
  if (pod) (void)executor_->DeletePod(pod->id());
  // A fake shutting down leaves its objects as they were: the next one (same --state) marks
  // the pods that ran as failed, whichever way this one ended.
  if (stopping) return;
  const std::string now = Now();
  const int code = exit_code.value_or(1);
  (void)store_.Update(
      "pods", rp->ns, rp->name,
      [&](json::object& o) {
        auto& status = o["status"].as_object();
        status["phase"] = code == 0 && end_reason.empty() ? "Succeeded" : "Failed";
        if (!end_reason.empty()) {
          status["reason"] = end_reason;
          status["message"] = "The node was low on resource: memory. ";
        }
        json::array conditions;
        for (const char* type : {"Ready", "ContainersReady"}) {
          conditions.push_back({{"type", type},
                                {"status", "False"},
                                {"reason", "PodCompleted"},
                                {"lastTransitionTime", now}});
        }
        conditions.push_back(
            {{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", now}});
        status["conditions"] = std::move(conditions);
        json::object terminated{{"exitCode", code}, {"reason", reason}, {"finishedAt", now}};
        if (!message.empty()) terminated["message"] = message;
        const std::string started = FieldValue(o, "status.startTime");
        terminated["startedAt"] = started.empty() ? now : started;
        json::object cs{{"name", ContainerName(o)},
                        {"ready", false},
                        {"started", false},
                        {"restartCount", 0},
                        {"image", FieldValue(FirstContainer(o), "image")},
                        {"imageID", ""},
                        {"state", {{"terminated", terminated}}}};
        if (pod) cs["containerID"] = "codeyard://" + pod->id();
        status["containerStatuses"] = json::array{cs};
        return true;
      },
      rp->uid);
  if (deleting || !end_reason.empty()) {
    (void)store_.Remove("pods", rp->ns, rp->name, rp->uid);
    Forget(rp->uid);
  }
}

void Kubelet::Forget(const std::string& uid) {
  std::lock_guard lock(mu_);
  if (stopping_) return;  // the destructor joins the drivers
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  // The driver is this thread, or one that has ended or is about to: let it go on its own.
  if (it->second->driver.joinable()) it->second->driver.detach();
  pods_.erase(it);
}

void Kubelet::Terminate(const std::string& uid, int64_t grace) {
  auto rp = Find(uid);
  if (!rp) return;
  std::shared_ptr<Pod> pod;
  bool ended = false;
  {
    std::lock_guard lock(rp->mu);
    const bool already = rp->deleting;
    rp->deleting = true;
    rp->cv.notify_all();  // a pod still pulling or unschedulable waits on it
    if (already && grace > 0) return;
    ended = rp->ended;
  }
  if (ended) {
    // Ended before: the object only waits for its deletion; the log goes with it.
    (void)store_.Remove("pods", rp->ns, rp->name, rp->uid);
    Forget(rp->uid);
    return;
  }
  {
    std::lock_guard lock(rp->mu);
    pod = rp->pod;
    if (!rp->started) return;  // Run sees `deleting` once the sandbox exists
    if (grace > 0) {
      rp->pending_signal = SIGTERM;
      rp->main->Interrupt();
    }
  }
  if (auto object = store_.Get("pods", rp->ns, rp->name)) {
    RecordEvent(*object, "Normal", "Killing", "Stopping container " + ContainerName(*object));
  }
  if (grace <= 0) {
    (void)executor_->DeletePod(pod->id());
    return;
  }
  // The grace timer holds the executor, not the kubelet, so a shutdown never waits for it.
  std::thread([executor = executor_, rp, pod, grace] {
    std::unique_lock lock(rp->mu);
    const bool stopped =
        rp->cv.wait_for(lock, std::chrono::seconds(grace), [&] { return rp->ended; });
    lock.unlock();
    if (!stopped) (void)executor->DeletePod(pod->id());
  }).detach();
}

bool Kubelet::Evict(const std::string& uid) {
  auto rp = Find(uid);
  if (!rp) return false;
  std::shared_ptr<Pod> pod;
  {
    std::lock_guard lock(rp->mu);
    rp->end_reason = "Evicted";
    pod = rp->pod;
  }
  if (auto object = store_.Get("pods", rp->ns, rp->name)) {
    RecordEvent(*object, "Warning", "Evicted", "The node was low on resource: memory. ");
  }
  if (pod) (void)executor_->DeletePod(pod->id());
  return true;
}

}  // namespace codeyard::kubefake
