#include "executor/kubernetes/kubernetes_executor.hpp"

#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <utility>

#include "codeyard/id.hpp"
#include "core/try.hpp"
#include "executor/kubernetes/kube_readiness.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// One API call's budget: the client retries 429/5xx within it.
constexpr std::chrono::seconds kCallTimeout{15};

std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

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

}  // namespace

std::shared_ptr<KubernetesExecutor> KubernetesExecutor::Make(KubeExecutorOptions options,
                                                             std::shared_ptr<KubeApi> api,
                                                             AgentPodFactory agent_pods) {
  return std::shared_ptr<KubernetesExecutor>(
      new KubernetesExecutor(std::move(options), std::move(api), std::move(agent_pods)));
}

KubernetesExecutor::KubernetesExecutor(KubeExecutorOptions options, std::shared_ptr<KubeApi> api,
                                       AgentPodFactory agent_pods)
    : options_(std::move(options)), api_(std::move(api)), agent_pods_(std::move(agent_pods)) {}

KubernetesExecutor::~KubernetesExecutor() {
  std::vector<std::string> oneshots;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, oneshot] : created_) {
      if (oneshot) oneshots.push_back(name);
    }
  }
  for (const std::string& name : oneshots) (void)DeleteByName(name);
}

Clock::time_point KubernetesExecutor::CallDeadline() const { return Clock::now() + kCallTimeout; }

std::string KubernetesExecutor::PodsPath() const {
  return "/api/v1/namespaces/" + options_.ns + "/pods";
}

Result<void> KubernetesExecutor::EnsureHomeClaim(const std::string& workspace_id) {
  const json::object claim = BuildHomeClaimManifest(workspace_id, options_);
  auto created = api_->Call("POST", "/api/v1/namespaces/" + options_.ns + "/persistentvolumeclaims",
                            &claim, CallDeadline());
  // The claim outlives pods: a workspace's second start finds it there.
  if (created || created.error().code() == Error::Code::kAlreadyExists) return {};
  return Fail(WithContext(created.error(), "creating home volume " + HomeClaimName(workspace_id)));
}

Result<std::shared_ptr<Pod>> KubernetesExecutor::CreatePod(const PodSpec& spec) {
  CY_TRY(const std::string suffix, RandomBytes(8));
  const std::string name = PodName(HexEncode(suffix));
  CY_TRY(const json::object manifest, BuildPodManifest(spec, name, options_));
  if (const auto home = HomeWorkspace(spec)) CY_CHECK(EnsureHomeClaim(*home));
  auto created = api_->Call("POST", PodsPath(), &manifest, CallDeadline());
  if (!created) {
    const Error& error = created.error();
    if (error.code() == Error::Code::kPermissionDenied &&
        error.message().find("exceeded quota") != std::string::npos) {
      return Fail(
          Error::Code::kResourceExhausted,
          "k8s executor: the namespace's quota refused pod " + name + ": " + error.message());
    }
    return Fail(WithContext(error, "creating pod " + name));
  }
  {
    std::lock_guard lock(mu_);
    created_[name] = !spec.survive_owner;
  }
  auto ready = WaitReady(name, std::move(*created));
  if (!ready) {
    (void)DeleteByName(name);
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
  while (true) {
    if (auto done = judge(latest)) {
      CY_CHECK(*done);
      return latest;
    }
    if (Clock::now() >= deadline) return timed_out();
    const auto remaining =
        std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()).count() + 1;
    const std::string path = PodsPath() + "?watch=true&allowWatchBookmarks=true&fieldSelector=" +
                             QueryEscape("metadata.name=" + name) +
                             "&resourceVersion=" + QueryEscape(rv) +
                             "&timeoutSeconds=" + std::to_string(remaining);
    auto watch = api_->Watch(path, deadline);
    if (!watch) {
      if (watch.error().code() == Error::Code::kDeadlineExceeded) return timed_out();
      return Fail(WithContext(watch.error(), "watching pod " + name));
    }
    bool relist = false;
    while (!relist) {
      Clock::time_point wake = deadline;
      if (unschedulable_since) {
        wake = std::min(wake, *unschedulable_since + options_.unschedulable_budget);
      }
      auto next = (*watch)->Next(wake);
      if (!next) {
        if (next.error().code() != Error::Code::kDeadlineExceeded) {
          return Fail(WithContext(next.error(), "watching pod " + name));
        }
        if (Clock::now() >= deadline) return timed_out();
        if (auto done = judge(latest)) {  // the unschedulable budget ran out
          CY_CHECK(*done);
          return latest;
        }
        continue;
      }
      if (!next->has_value()) break;  // the server ended the stream: watch again from rv
      WatchEvent& event = **next;
      if (event.type == "ERROR") {
        const json::value* code = event.object.if_contains("code");
        if (code && code->is_int64() && code->get_int64() == 410) {
          relist = true;  // our resourceVersion is too old: read the pod afresh
          continue;
        }
        return Fail(Error::Code::kUnavailable, "k8s executor: the watch of pod " + name +
                                                   " failed: " + json::serialize(event.object));
      }
      if (event.type == "BOOKMARK") {
        if (const std::string bookmark = ResourceVersion(event.object); !bookmark.empty()) {
          rv = bookmark;
        }
        continue;
      }
      if (event.type == "DELETED") {
        return Fail(Error::Code::kFailedPrecondition,
                    "k8s executor: pod " + name + " was deleted while starting");
      }
      latest = std::move(event.object);
      rv = ResourceVersion(latest);
      if (auto done = judge(latest)) {
        CY_CHECK(*done);
        return latest;
      }
    }
    if (relist) {
      auto fresh = api_->Call("GET", PodsPath() + "/" + name, nullptr, CallDeadline());
      if (!fresh) return Fail(WithContext(fresh.error(), "re-reading pod " + name));
      latest = std::move(*fresh);
      rv = ResourceVersion(latest);
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
  std::weak_ptr<KubeApi> api = api_;
  const std::string ns = options_.ns;
  const std::string binary = options_.pod_binary;
  const std::string name = info.id;
  StreamOpener open = [api, ns, name, binary]() -> Result<std::unique_ptr<PortStream>> {
    auto client = api.lock();
    if (!client) return Fail(Error::Code::kFailedPrecondition, "k8s executor: closed");
    return client->Exec(ns, name, kContainerName, {binary, "agent"});
  };
  CY_TRY(std::shared_ptr<Pod> agent, agent_pods_(info, std::move(open)));
  std::function<void()> on_release;
  if (owned_oneshot) {
    // The pod dies with its last holder in this process; the executor's destructor and the
    // pod's activeDeadlineSeconds cover a holder that outlives it or a crash.
    std::weak_ptr<KubernetesExecutor> self = weak_from_this();
    on_release = [self, name] {
      if (auto executor = self.lock()) (void)executor->DeleteByName(name);
    };
  }
  auto pod = std::make_shared<KubePod>(info, std::move(agent), std::move(on_release));
  held_[info.id] = pod;
  return std::shared_ptr<Pod>(pod);
}

Result<std::shared_ptr<Pod>> KubernetesExecutor::GetPod(std::string_view id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = held_.find(id); it != held_.end()) {
      if (auto pod = it->second.lock()) return std::shared_ptr<Pod>(pod);
    }
  }
  const std::string name(id);
  if (name.empty() || name.find('/') != std::string::npos || name.find('?') != std::string::npos) {
    return Fail(Error::Code::kNotFound, "k8s executor: no pod \"" + name + "\"");
  }
  auto object = api_->Call("GET", PodsPath() + "/" + name, nullptr, CallDeadline());
  if (!object) return Fail(WithContext(object.error(), "reading pod " + name));
  if (!IsOurs(*object)) {
    return Fail(Error::Code::kNotFound, "k8s executor: pod " + name + " is not codeyard's");
  }
  CY_TRY(const PodInfo info, PodInfoFromObject(*object));
  if (info.phase != PodPhase::kRunning || ClassifyPod(*object).state != Readiness::kReady) {
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
  auto list =
      api_->Call("GET", PodsPath() + "?labelSelector=" + QueryEscape(SelectorQuery(selector)),
                 nullptr, CallDeadline());
  if (!list) return Fail(WithContext(list.error(), "listing pods"));
  std::vector<PodInfo> out;
  const json::value* items = list->if_contains("items");
  if (!items || !items->is_array()) return out;
  for (const json::value& item : items->get_array()) {
    if (!item.is_object() || !IsOurs(item.get_object())) continue;
    auto info = PodInfoFromObject(item.get_object());
    if (!info) continue;  // not one we can read back; never ours to report
    // The server matched sanitised values; the exact values are in the spec.
    if (LabelsMatch(info->spec.labels, selector)) out.push_back(std::move(*info));
  }
  return out;
}

Result<void> KubernetesExecutor::DeleteByName(const std::string& name) {
  const json::object options{{"kind", "DeleteOptions"},
                             {"apiVersion", "v1"},
                             {"gracePeriodSeconds", options_.grace_period_s},
                             {"propagationPolicy", "Background"}};
  auto deleted = api_->Call("DELETE", PodsPath() + "/" + name, &options, CallDeadline());
  {
    std::lock_guard lock(mu_);
    held_.erase(name);
    if (deleted || deleted.error().code() == Error::Code::kNotFound) created_.erase(name);
  }
  if (!deleted) return Fail(deleted.error());
  return {};
}

Result<void> KubernetesExecutor::DeletePod(std::string_view id) {
  const std::string name(id);
  if (name.empty() || name.find('/') != std::string::npos || name.find('?') != std::string::npos) {
    return Fail(Error::Code::kNotFound, "k8s executor: no pod \"" + name + "\"");
  }
  bool ours = false;
  {
    std::lock_guard lock(mu_);
    ours = created_.contains(name);
  }
  auto deleted = DeleteByName(name);
  if (deleted) return {};
  // A pod this object made that is already gone (its deadline, an eviction) was deleted.
  if (deleted.error().code() == Error::Code::kNotFound && ours) return {};
  return Fail(WithContext(deleted.error(), "deleting pod " + name));
}

Result<void> KubernetesExecutor::DeleteVolumes(const LabelSelector& selector) {
  const std::string path = "/api/v1/namespaces/" + options_.ns + "/persistentvolumeclaims";
  auto list = api_->Call("GET", path + "?labelSelector=" + QueryEscape(SelectorQuery(selector)),
                         nullptr, CallDeadline());
  if (!list) return Fail(WithContext(list.error(), "listing volumes"));
  const json::value* items = list->if_contains("items");
  if (!items || !items->is_array()) return {};
  for (const json::value& item : items->get_array()) {
    if (!item.is_object() || !IsOurs(item.get_object())) continue;
    const json::value* name = item.get_object().at("metadata").get_object().if_contains("name");
    if (!name || !name->is_string()) continue;
    auto deleted =
        api_->Call("DELETE", path + "/" + std::string(name->get_string()), nullptr, CallDeadline());
    if (!deleted && deleted.error().code() != Error::Code::kNotFound) {
      return Fail(
          WithContext(deleted.error(), "deleting volume " + std::string(name->get_string())));
    }
  }
  return {};
}

Result<std::vector<HostCheck>> KubernetesExecutor::Doctor() {
  std::vector<HostCheck> checks;
  auto version = api_->Call("GET", "/version", nullptr, CallDeadline());
  checks.push_back(
      {"Kubernetes API server", version.has_value(), true,
       version ? "reachable, version " + (version->contains("gitVersion")
                                              ? std::string(version->at("gitVersion").as_string())
                                              : std::string("unknown"))
               : version.error().message()});
  auto pods = api_->Call("GET", PodsPath() + "?limit=1", nullptr, CallDeadline());
  checks.push_back({"namespace " + options_.ns, pods.has_value(), true,
                    pods ? "pods can be listed" : pods.error().message()});
  // What the backend does, as RBAC terms; k8s/'s Role must grant each.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kNeeded = {{
      {"create", "pods"},
      {"get", "pods"},
      {"list", "pods"},
      {"watch", "pods"},
      {"delete", "pods"},
      {"create", "pods/exec"},
      {"get", "pods/exec"},
      {"create", "persistentvolumeclaims"},
      {"get", "persistentvolumeclaims"},
      {"list", "persistentvolumeclaims"},
      {"delete", "persistentvolumeclaims"},
  }};
  std::string missing;
  bool skipped = false;
  for (const auto& [verb, resource] : kNeeded) {
    const auto slash = resource.find('/');
    json::object attributes{
        {"namespace", options_.ns}, {"verb", verb}, {"resource", resource.substr(0, slash)}};
    if (slash != std::string_view::npos) attributes["subresource"] = resource.substr(slash + 1);
    const json::object review{{"apiVersion", "authorization.k8s.io/v1"},
                              {"kind", "SelfSubjectAccessReview"},
                              {"spec", json::object{{"resourceAttributes", attributes}}}};
    auto answer = api_->Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                             &review, CallDeadline());
    if (!answer) {
      skipped = true;
      checks.push_back({"RBAC", true, false,
                        "skipped: the API server answered no SelfSubjectAccessReview (" +
                            answer.error().message() + ")"});
      break;
    }
    const json::value* status = answer->if_contains("status");
    const json::value* allowed =
        status && status->is_object() ? status->get_object().if_contains("allowed") : nullptr;
    if (!allowed || !allowed->is_bool() || !allowed->get_bool()) {
      missing += (missing.empty() ? "" : ", ") + std::string(verb) + " " + std::string(resource);
    }
  }
  if (!skipped) {
    checks.push_back({"RBAC", missing.empty(), true,
                      missing.empty() ? "the service account may do all the backend does"
                                      : "the service account may not: " + missing});
  }
  return checks;
}

Result<std::shared_ptr<Executor>> OpenKubernetesExecutor(std::string_view uri,
                                                         const BackendContext& context) {
  (void)context;
  CY_TRY(KubeExecutorOptions options, ParseKubeUri(uri));
  (void)options;
  return Fail(Error::Code::kUnimplemented,
              "k8s executor: this build has no Kubernetes API client yet (kube_http)");
}

}  // namespace codeyard::kube
