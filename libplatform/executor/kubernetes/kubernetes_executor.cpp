#include "executor/kubernetes/kubernetes_executor.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <thread>
#include <utility>

#include "codeyard/id.hpp"
#include "core/try.hpp"
#include "core/uri_query.hpp"
#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_readiness.hpp"
#include "executor/kubernetes/kube_watch.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// One API call's budget: the client retries 429/5xx within it.
constexpr CallOptions kCall{std::chrono::milliseconds(15000)};

std::string ResourceVersion(const json::object& object) {
  const json::value* metadata = object.if_contains("metadata");
  if (!metadata || !metadata->is_object()) return {};
  const json::value* rv = metadata->get_object().if_contains("resourceVersion");
  return rv && rv->is_string() ? std::string(rv->get_string()) : std::string();
}

bool IsOurs(const json::object& object) {
  const json::value* metadata = object.if_contains("metadata");
  if (!metadata || !metadata->is_object()) return false;
  const json::value* labels = metadata->get_object().if_contains("labels");
  if (!labels || !labels->is_object()) return false;
  const json::value* managed = labels->get_object().if_contains(kManagedByLabel);
  return managed && managed->is_string() && managed->get_string() == kManagedByValue;
}

Error WithContext(const Error& error, std::string_view what) {
  return Error(error.code(), "k8s executor: " + std::string(what) + ": " + error.message());
}

Result<json::object> AsObject(Result<json::value> answer, std::string_view what) {
  if (!answer) return Fail(WithContext(answer.error(), what));
  if (!answer->is_object()) {
    return Fail(Error::Code::kInternal,
                "k8s executor: " + std::string(what) + ": the API server sent no object");
  }
  return std::move(answer->get_object());
}

// The list or watch of one pod: its readiness and deletion waits, and their relists.
Query ByName(const std::string& name) { return {{"fieldSelector", "metadata.name=" + name}}; }

bool IsPlainName(std::string_view name) {
  return !name.empty() && name.find_first_of("/?#%") == std::string_view::npos;
}

}  // namespace

std::shared_ptr<KubernetesExecutor> KubernetesExecutor::Make(KubeExecutorOptions options,
                                                             std::shared_ptr<Client> client,
                                                             AgentPodFactory agent_pods) {
  std::shared_ptr<KubernetesExecutor> executor(
      new KubernetesExecutor(std::move(options), std::move(client), std::move(agent_pods)));
  executor->lease_thread_ = std::thread([raw = executor.get()] { raw->LeaseLoop(); });
  return executor;
}

KubernetesExecutor::KubernetesExecutor(KubeExecutorOptions options, std::shared_ptr<Client> client,
                                       AgentPodFactory agent_pods)
    : options_(std::move(options)),
      client_(std::move(client)),
      agent_pods_(std::move(agent_pods)) {}

KubernetesExecutor::~KubernetesExecutor() {
  {
    std::lock_guard lock(lease_mu_);
    closing_ = true;
  }
  lease_cv_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
  std::vector<std::string> oneshots;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, oneshot] : created_) {
      if (oneshot) oneshots.push_back(name);
    }
  }
  for (const std::string& name : oneshots) (void)DeleteByName(name, /*wait=*/false);
}

Resource KubernetesExecutor::Pods(std::string name) const {
  return Resource{"v1", "pods", options_.ns, std::move(name), ""};
}

Resource KubernetesExecutor::Claims(std::string name) const {
  return Resource{"v1", "persistentvolumeclaims", options_.ns, std::move(name), ""};
}

Result<void> KubernetesExecutor::EnsureHomeClaim(const std::string& workspace_id) {
  const json::value claim = BuildHomeClaimManifest(workspace_id, options_);
  auto created = client_->Post(Claims(), claim, kCall);
  // The claim outlives pods: a workspace's second start finds it there.
  if (created || created.error().code() == Error::Code::kAlreadyExists) return {};
  return Fail(WithContext(created.error(), "creating home volume " + HomeClaimName(workspace_id)));
}

Result<KubernetesExecutor::PodForWatch> KubernetesExecutor::ListPodByName(const std::string& name,
                                                                          CallOptions options) {
  CY_TRY(json::object list,
         AsObject(client_->Get(Pods(), ByName(name), options), "re-reading pod " + name));
  PodForWatch out;
  out.resource_version = ResourceVersion(list);
  const json::value* items = list.if_contains("items");
  if (items != nullptr && items->is_array() && !items->get_array().empty() &&
      items->get_array().front().is_object()) {
    out.pod = items->get_array().front().get_object();
  }
  return out;
}

Result<std::shared_ptr<Pod>> KubernetesExecutor::CreatePod(const PodSpec& spec) {
  CY_TRY(const std::string suffix, RandomBytes(8));
  const std::string name = PodName(HexEncode(suffix));
  CY_TRY(json::object manifest, BuildPodManifest(spec, name, options_));
  if (const auto lease = OrphanLease(spec, options_)) {
    manifest["metadata"].as_object()["annotations"].as_object()[kHeldUntilAnnotation] =
        HeldUntil(*lease);
  }
  if (const auto home = HomeWorkspace(spec)) CY_CHECK(EnsureHomeClaim(*home));
  auto created = client_->Post(Pods(), json::value(std::move(manifest)), kCall);
  if (!created && created.error().code() == Error::Code::kAlreadyExists) {
    // The name is ours alone (random): an earlier attempt of this POST made it before its
    // connection broke (an API server restarting) and the client's retry met it.
    created = client_->Get(Pods(name), {}, kCall);
  }
  if (!created) return Fail(WithContext(created.error(), "creating pod " + name));
  if (!created->is_object()) {
    return Fail(Error::Code::kInternal, "k8s executor: creating pod " + name + ": no object");
  }
  {
    std::lock_guard lock(mu_);
    created_[name] = !spec.survive_owner;
  }
  auto ready = WaitReady(name, std::move(created->get_object()));
  if (!ready) {
    (void)DeleteByName(name, /*wait=*/false);
    return Fail(ready.error());
  }
  CY_TRY(PodInfo info, PodInfoFromObject(*ready));
  info.spec = spec;  // exactly as asked, not as read back
  return Wrap(info, !spec.survive_owner);
}

Result<json::object> KubernetesExecutor::WaitReady(const std::string& name, json::object latest) {
  const Clock::time_point deadline = Clock::now() + options_.ready_timeout;
  std::optional<Clock::time_point> unschedulable_since;
  std::string unschedulable_message;
  // One verdict on an object: done (ready or failed) or keep waiting.
  const auto judge = [&](const json::object& pod) -> std::optional<Result<void>> {
    const ReadinessVerdict verdict = ClassifyPod(pod);
    switch (verdict.state) {
      case Readiness::kReady:
        return Result<void>{};
      case Readiness::kFailed:
        return Result<void>(Fail(Error::Code::kFailedPrecondition, verdict.message));
      case Readiness::kUnschedulable:
        if (!unschedulable_since) unschedulable_since = Clock::now();
        unschedulable_message = verdict.message;
        if (Clock::now() - *unschedulable_since >= options_.unschedulable_budget) {
          return Result<void>(Fail(Error::Code::kResourceExhausted,
                                   verdict.message + " (for " +
                                       std::to_string(options_.unschedulable_budget.count()) +
                                       " s)"));
        }
        return std::nullopt;
      case Readiness::kWaiting:
        unschedulable_since.reset();
        return std::nullopt;
    }
    return std::nullopt;
  };
  const auto timed_out = [&]() {
    return Fail(Error::Code::kUnavailable,
                "k8s executor: pod " + name + " was not ready within " +
                    std::to_string(options_.ready_timeout.count()) + " s" +
                    (unschedulable_message.empty() ? "" : ": " + unschedulable_message));
  };
  std::string rv = ResourceVersion(latest);
  int watch_failures = 0;
  while (true) {
    if (auto done = judge(latest)) {
      CY_CHECK(*done);
      return latest;
    }
    if (Clock::now() >= deadline) return timed_out();
    const auto remaining =
        std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
    auto watch =
        client_->StartWatch(Pods(), ByName(name), rv, static_cast<int>(remaining.count()) + 1);
    if (!watch) return Fail(WithContext(watch.error(), "watching pod " + name));
    bool relist = false;
    while (!relist) {
      Clock::time_point wake = deadline;
      if (unschedulable_since) {
        wake = std::min(wake, *unschedulable_since + options_.unschedulable_budget);
      }
      const auto wait =
          std::max(std::chrono::milliseconds(1),
                   std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()));
      auto next = (*watch)->Next(wait);
      if (!next) {
        if (IsTransientWatchError(next.error())) {
          // The API server restarting, throttling or refusing a rotated token: after a
          // backoff (within the deadline) read the pod afresh, which retries on its own; the
          // pod may have become ready while nobody watched.
          const auto pause = std::min(
              BackoffDelay(Backoff{}, std::min(watch_failures++, 6), 0.5, (*watch)->retry_after()),
              std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
          if (pause.count() > 0) std::this_thread::sleep_for(pause);
        } else if (!IsExpired(next.error())) {
          return Fail(WithContext(next.error(), "watching pod " + name));
        }
        relist = true;  // or our resourceVersion is too old (410): list the pod afresh
        continue;
      }
      watch_failures = 0;
      if (!next->has_value()) {
        if ((*watch)->ended()) break;  // the server ended the stream: watch again from rv
        if (Clock::now() >= deadline) return timed_out();
        if (auto done = judge(latest)) {  // the unschedulable budget ran out
          CY_CHECK(*done);
          return latest;
        }
        continue;
      }
      WatchEvent& event = **next;
      if (!event.resource_version.empty()) rv = event.resource_version;
      if (event.type == WatchEvent::Type::kBookmark) continue;
      if (event.type == WatchEvent::Type::kDeleted) {
        return Fail(Error::Code::kFailedPrecondition,
                    "k8s executor: pod " + name + " was deleted while starting");
      }
      if (!event.object.is_object()) continue;
      latest = std::move(event.object.get_object());
      if (auto done = judge(latest)) {
        CY_CHECK(*done);
        return latest;
      }
    }
    if (relist) {
      if (Clock::now() >= deadline) return timed_out();
      // Within the readiness deadline: a server that stays away fails the wait with the
      // client's kUnavailable naming it.
      const CallOptions within{
          std::max(std::chrono::milliseconds(1),
                   std::min(*kCall.timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                deadline - Clock::now())))};
      CY_TRY(PodForWatch reread, ListPodByName(name, within));
      if (!reread.pod) {
        return Fail(Error::Code::kFailedPrecondition,
                    "k8s executor: pod " + name + " was deleted while starting");
      }
      latest = std::move(*reread.pod);
      rv = std::move(reread.resource_version);
    }
  }
}

Result<std::shared_ptr<Pod>> KubernetesExecutor::Wrap(const PodInfo& info, bool owned_oneshot) {
  std::lock_guard lock(mu_);
  if (auto it = held_.find(info.id); it != held_.end()) {
    if (auto pod = it->second.lock()) return std::shared_ptr<Pod>(pod);
  }
  if (!agent_pods_) {
    return Fail(Error::Code::kUnimplemented,
                "k8s executor: this build has no agent pod to reach pod " + info.id);
  }
  std::weak_ptr<Client> client = client_;
  const std::string ns = options_.ns;
  const std::string name = info.id;
  StreamOpener open =
      [client, ns,
       name](const std::vector<std::string>& argv) -> Result<std::unique_ptr<PortStream>> {
    auto api = client.lock();
    if (!api) return Fail(Error::Code::kFailedPrecondition, "k8s executor: closed");
    return api->OpenExecStream(ns, name, kContainerName, argv);
  };
  // Execs start from the PodSpec's env (the agent does not inherit the container's), so the
  // home on the workspace's volume is set there too.
  PodInfo agent_info = info;
  agent_info.spec.env.try_emplace("HOME", std::string(kHomeDir));
  CY_TRY(std::shared_ptr<Pod> agent, agent_pods_(agent_info, std::move(open)));
  std::function<void()> on_release;
  if (owned_oneshot) {
    // The pod dies with its last holder in this process; the executor's destructor and the
    // pod's activeDeadlineSeconds cover a holder that outlives it, or a crash.
    std::weak_ptr<KubernetesExecutor> self = weak_from_this();
    on_release = [self, name] {
      if (auto executor = self.lock()) (void)executor->DeleteByName(name, /*wait=*/false);
    };
  }
  auto pod = std::make_shared<KubePod>(info, std::move(agent), std::move(on_release));
  std::erase_if(held_, [](const auto& entry) { return entry.second.expired(); });
  held_[info.id] = pod;
  if (!gone_) {
    // A pod evicted or deleted by the cluster is seen at once by its holders (a terminal
    // closes as its pod's, the workspace starts a new one), not at their next failing call.
    std::weak_ptr<KubernetesExecutor> self = weak_from_this();
    gone_ = std::make_unique<PodGoneWatcher>(
        client_, Pods(),
        Query{{"labelSelector", std::string(kManagedByLabel) + "=" + std::string(kManagedByValue)}},
        [self](const std::string& gone, const std::string&) {
          if (auto executor = self.lock()) executor->MarkGone(gone);
        });
  }
  return std::shared_ptr<Pod>(pod);
}

void KubernetesExecutor::MarkGone(const std::string& name) {
  std::shared_ptr<KubePod> held;  // released after the lock, as in DeleteByName
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(name);
    if (it == held_.end()) return;
    held = it->second.lock();
    held_.erase(it);
  }
  if (held) held->MarkDeleted();
}

Result<std::shared_ptr<Pod>> KubernetesExecutor::GetPod(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = held_.find(id); it != held_.end()) {
      if (auto pod = it->second.lock()) return std::shared_ptr<Pod>(pod);
    }
  }
  const std::string name(id);
  if (!IsPlainName(name)) {
    return Fail(Error::Code::kNotFound, "k8s executor: no pod \"" + name + "\"");
  }
  CY_TRY(const json::object object,
         AsObject(client_->Get(Pods(name), {}, kCall), "reading pod " + name));
  if (!IsOurs(object)) {
    return Fail(Error::Code::kNotFound, "k8s executor: pod " + name + " is not codeyard's");
  }
  CY_TRY(const PodInfo info, PodInfoFromObject(object));
  if (ClassifyPod(object).state != Readiness::kReady) {
    return Fail(Error::Code::kNotFound, "k8s executor: pod " + name + " is not running (" +
                                            std::string(PodPhaseName(info.phase)) +
                                            (info.message.empty() ? "" : ": " + info.message) +
                                            ")");
  }
  if (!info.spec.survive_owner) {
    std::lock_guard lock(mu_);
    if (!created_.contains(name)) {
      return Fail(Error::Code::kFailedPrecondition,
                  "k8s executor: pod " + name + " belongs to the process that created it");
    }
  }
  return Wrap(info, /*owned_oneshot=*/false);
}

Result<std::vector<PodInfo>> KubernetesExecutor::ListPods(const LabelSelector& selector) {
  CY_TRY(const json::object list,
         AsObject(client_->Get(Pods(), {{"labelSelector", SelectorQuery(selector)}}, kCall),
                  "listing pods"));
  std::vector<PodInfo> out;
  const json::value* items = list.if_contains("items");
  if (!items || !items->is_array()) return out;
  for (const json::value& item : items->get_array()) {
    if (!item.is_object() || !IsOurs(item.get_object())) continue;
    auto info = PodInfoFromObject(item.get_object());
    if (!info) continue;  // not one we can read back, so not one we made
    // The server matched sanitised values; the exact values are in the spec.
    if (LabelsMatch(info->spec.labels, selector)) out.push_back(std::move(*info));
  }
  return out;
}

Result<void> KubernetesExecutor::DeleteByName(const std::string& name, bool wait) {
  const json::value options{{"kind", "DeleteOptions"},
                            {"apiVersion", "v1"},
                            {"gracePeriodSeconds", options_.grace_period_s},
                            {"propagationPolicy", "Background"}};
  auto deleted = client_->Delete(Pods(name), options, {}, kCall);
  std::shared_ptr<KubePod> held;  // released after the lock: its release may call back here
  {
    std::lock_guard lock(mu_);
    if (auto it = held_.find(name); it != held_.end()) {
      held = it->second.lock();
      if (held) held->MarkDeleted();
      held_.erase(it);
    }
    if (deleted || deleted.error().code() == Error::Code::kNotFound) created_.erase(name);
  }
  if (!deleted) return Fail(deleted.error());
  if (!wait) return {};
  // Gone when a list by name finds nothing or the watch from that list sees DELETED; bounded
  // by the grace period and a margin for the kubelet.
  const Clock::time_point deadline =
      Clock::now() + std::chrono::seconds(options_.grace_period_s + 30);
  while (Clock::now() < deadline) {
    CY_TRY(PodForWatch current, ListPodByName(name, kCall));
    if (!current.pod) return {};
    auto watch = client_->StartWatch(Pods(), ByName(name), current.resource_version,
                                     static_cast<int>(options_.grace_period_s) + 31);
    if (!watch) return Fail(watch.error());
    while (Clock::now() < deadline) {
      auto next = (*watch)->Next(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!next) break;  // 410 or a broken stream: list again
      if (!next->has_value()) {
        if ((*watch)->ended()) break;
        continue;
      }
      if ((*next)->type == WatchEvent::Type::kDeleted) return {};
    }
  }
  return Fail(Error::Code::kDeadlineExceeded, "k8s executor: pod " + name + " was still there " +
                                                  std::to_string(options_.grace_period_s + 30) +
                                                  " s after its deletion");
}

Result<void> KubernetesExecutor::DeletePod(std::string_view id) {
  const std::string name(id);
  if (!IsPlainName(name)) {
    return Fail(Error::Code::kNotFound, "k8s executor: no pod \"" + name + "\"");
  }
  bool ours = false;
  {
    std::lock_guard lock(mu_);
    ours = created_.contains(name);
  }
  auto deleted = DeleteByName(name, /*wait=*/true);
  if (deleted) return {};
  // A pod this object made that is already gone (its deadline, an eviction) was deleted.
  if (deleted.error().code() == Error::Code::kNotFound && ours) return {};
  return Fail(WithContext(deleted.error(), "deleting pod " + name));
}

Result<void> KubernetesExecutor::DeleteVolumes(const LabelSelector& selector) {
  CY_TRY(const json::object list,
         AsObject(client_->Get(Claims(), {{"labelSelector", SelectorQuery(selector)}}, kCall),
                  "listing volumes"));
  const json::value* items = list.if_contains("items");
  if (!items || !items->is_array()) return {};
  for (const json::value& item : items->get_array()) {
    if (!item.is_object() || !IsOurs(item.get_object())) continue;
    const json::value* metadata = item.get_object().if_contains("metadata");
    const json::value* name =
        metadata && metadata->is_object() ? metadata->get_object().if_contains("name") : nullptr;
    if (!name || !name->is_string()) continue;
    const std::string claim(name->get_string());
    auto deleted = client_->Delete(Claims(claim), nullptr, {}, kCall);
    if (!deleted && deleted.error().code() != Error::Code::kNotFound) {
      return Fail(WithContext(deleted.error(), "deleting volume " + claim));
    }
  }
  return {};
}

Result<void> KubernetesExecutor::CheckImage(std::string_view image) {
  CY_CHECK(ImageReference(options_, image));
  return {};
}

Result<std::vector<Labels>> KubernetesExecutor::ListVolumes(const LabelSelector& selector) {
  CY_TRY(const json::object list,
         AsObject(client_->Get(Claims(), {{"labelSelector", SelectorQuery(selector)}}, kCall),
                  "listing volumes"));
  std::vector<Labels> out;
  const json::value* items = list.if_contains("items");
  if (!items || !items->is_array()) return out;
  for (const json::value& item : items->get_array()) {
    if (!item.is_object() || !IsOurs(item.get_object())) continue;
    const json::value* metadata = item.get_object().if_contains("metadata");
    const json::value* labels =
        metadata && metadata->is_object() ? metadata->get_object().if_contains("labels") : nullptr;
    Labels read;
    for (const auto& [key, value] : labels->get_object()) {  // IsOurs: an object
      if (value.is_string()) read[std::string(key)] = std::string(value.get_string());
    }
    out.push_back(std::move(read));
  }
  return out;
}

Result<std::vector<HostCheck>> KubernetesExecutor::Doctor() {
  std::vector<HostCheck> checks;
  auto pods = client_->Get(Pods(), {{"limit", "1"}}, kCall);
  checks.push_back({"Kubernetes API server and namespace " + options_.ns, pods.has_value(), true,
                    pods ? "reachable at " + client_->config().server + "; pods can be listed"
                         : pods.error().message()});
  // What the backend does, in RBAC terms; k8s/'s Role must grant each.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kNeeded = {{
      {"create", "pods"},
      {"get", "pods"},
      {"list", "pods"},
      {"watch", "pods"},
      {"patch", "pods"},  // the orphan lease's held-until
      {"delete", "pods"},
      {"create", "pods/exec"},
      {"get", "pods/exec"},
      {"create", "persistentvolumeclaims"},
      {"list", "persistentvolumeclaims"},
      {"delete", "persistentvolumeclaims"},
  }};
  std::string missing;
  for (const auto& [verb, resource] : kNeeded) {
    const auto slash = resource.find('/');
    json::object attributes{
        {"namespace", options_.ns}, {"verb", verb}, {"resource", resource.substr(0, slash)}};
    if (slash != std::string_view::npos) attributes["subresource"] = resource.substr(slash + 1);
    const json::value review{{"apiVersion", "authorization.k8s.io/v1"},
                             {"kind", "SelfSubjectAccessReview"},
                             {"spec", json::object{{"resourceAttributes", attributes}}}};
    auto answer = client_->Post(
        Resource{"authorization.k8s.io/v1", "selfsubjectaccessreviews", "", "", ""}, review, kCall);
    if (!answer) {
      checks.push_back({"RBAC", true, false,
                        "skipped: the API server answered no SelfSubjectAccessReview (" +
                            answer.error().message() + ")"});
      return checks;
    }
    const json::value* status =
        answer->is_object() ? answer->get_object().if_contains("status") : nullptr;
    const json::value* allowed =
        status && status->is_object() ? status->get_object().if_contains("allowed") : nullptr;
    if (!allowed || !allowed->is_bool() || !allowed->get_bool()) {
      missing += (missing.empty() ? "" : ", ") + std::string(verb) + " " + std::string(resource);
    }
  }
  checks.push_back({"RBAC", missing.empty(), true,
                    missing.empty() ? "the service account may do all the backend does"
                                    : "the service account may not: " + missing});
  return checks;
}

Result<std::shared_ptr<Executor>> OpenKubernetesExecutor(std::string_view uri,
                                                         const BackendContext& context) {
  (void)context;
  CY_TRY(KubeExecutorOptions options, ParseKubeUri(uri));
  std::map<std::string, std::string> query;
  const auto q = uri.find('?');
  if (q != std::string_view::npos) {
    for (const QueryParam& param : SplitQuery(uri.substr(q + 1))) {
      query[std::string(param.key)] = std::string(param.value);
    }
  }
  CY_TRY(Config config, ConfigFromQuery(query));
  if (options.ns.empty()) options.ns = config.default_namespace;
  const std::string pod_binary = options.pod_binary;
  CY_TRY(std::shared_ptr<Client> client, Client::Create(std::move(config)));
  return std::shared_ptr<Executor>(KubernetesExecutor::Make(std::move(options), std::move(client),
                                                            DefaultAgentPods(pod_binary)));
}

}  // namespace codeyard::kube
