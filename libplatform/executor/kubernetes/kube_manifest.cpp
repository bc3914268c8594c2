#include "executor/kubernetes/kube_manifest.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/try.hpp"
#include "core/uri_query.hpp"
#include "executor/kubernetes/kube_config.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (const char c : s) {
    if (!(c == '-' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (const char c : s) {
    if (!(IsAlnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front())) != 0) return false;
  for (const char c : s) {
    if (!(IsAlnum(c) || c == '_')) return false;
  }
  return true;
}

std::string Millicores(double cpus) {
  const auto milli = static_cast<int64_t>(std::ceil(cpus * 1000.0));
  return std::to_string(std::max<int64_t>(milli, 1)) + "m";
}

json::object EmptyDir(std::optional<uint64_t> size, bool memory = false) {
  json::object dir;
  if (memory) dir["medium"] = "Memory";
  if (size) dir["sizeLimit"] = std::to_string(*size);
  return dir;
}

json::object Volume(std::string_view name, json::object source, std::string_view kind) {
  json::object volume;
  volume["name"] = name;
  volume[kind] = std::move(source);
  return volume;
}

json::object Mount(std::string_view name, std::string_view path) {
  return {{"name", name}, {"mountPath", path}};
}

json::object Resources(const ResourceLimits& limits, double fraction) {
  json::object requests;
  json::object caps;
  if (limits.cpus) {
    caps["cpu"] = Millicores(*limits.cpus);
    requests["cpu"] = Millicores(*limits.cpus * fraction);
  }
  if (limits.memory_bytes) {
    caps["memory"] = std::to_string(*limits.memory_bytes);
    requests["memory"] =
        std::to_string(static_cast<uint64_t>(static_cast<double>(*limits.memory_bytes) * fraction));
  }
  json::object out;
  if (!caps.empty()) {
    out["limits"] = std::move(caps);
    out["requests"] = std::move(requests);
  }
  return out;
}

}  // namespace

Result<uint64_t> ParseQuantityBytes(std::string_view text) {
  uint64_t number = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || p == text.data()) {
    return Fail(Error::Code::kInvalidArgument,
                "k8s executor: \"" + std::string(text) + "\" is not a size (e.g. 1Gi, 512Mi)");
  }
  const std::string_view suffix(p, text.data() + text.size() - p);
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},     {"Ki", 1ULL << 10}, {"Mi", 1ULL << 20}, {"Gi", 1ULL << 30},  {"Ti", 1ULL << 40},
      {"k", 1000}, {"M", 1000000},     {"G", 1000000000},  {"T", 1000000000000}};
  for (const auto& [unit, scale] : kUnits) {
    if (suffix == unit) {
      if (number > UINT64_MAX / scale) break;
      return number * scale;
    }
  }
  return Fail(Error::Code::kInvalidArgument,
              "k8s executor: \"" + std::string(text) + "\" is not a size (e.g. 1Gi, 512Mi)");
}

Result<KubeExecutorOptions> ParseKubeUri(std::string_view uri) {
  KubeExecutorOptions options;
  if (!uri.starts_with("k8s:")) {
    return Fail(Error::Code::kInvalidArgument, "k8s executor: URI must start with k8s:");
  }
  std::string_view rest = uri.substr(4);
  if (rest.starts_with("//")) rest.remove_prefix(2);
  if (!rest.empty() && rest.front() != '?') {
    return Fail(
        Error::Code::kInvalidArgument,
        "k8s executor: expected k8s:?namespace=NS&image=IMAGE, got \"" + std::string(uri) + "\"");
  }
  if (!rest.empty()) rest.remove_prefix(1);
  for (const QueryParam& param : SplitQuery(rest)) {
    const std::string key(param.key);
    const std::string value(param.value);
    const auto integer = [&](int64_t& out, int64_t min) -> Result<void> {
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      if (ec != std::errc() || p != value.data() + value.size() || out < min) {
        return Fail(Error::Code::kInvalidArgument,
                    "k8s executor: " + key + " must be a whole number >= " + std::to_string(min));
      }
      return {};
    };
    const auto seconds = [&](std::chrono::seconds& out) -> Result<void> {
      int64_t s = 0;
      CY_CHECK(integer(s, 1));
      out = std::chrono::seconds(s);
      return {};
    };
    if (key == "namespace") {
      if (!IsDns1123Label(value)) {
        return Fail(Error::Code::kInvalidArgument,
                    "k8s executor: namespace \"" + value + "\" is not a DNS-1123 label");
      }
      options.ns = value;
    } else if (key == "image") {
      options.image = value;
    } else if (key.starts_with("image.") && key.size() > 6) {
      if (value.empty()) {
        return Fail(Error::Code::kInvalidArgument, "k8s executor: " + key + " needs a reference");
      }
      options.images[key.substr(6)] = value;
    } else if (key == "pod_binary") {
      if (value.empty() || value.front() != '/') {
        return Fail(Error::Code::kInvalidArgument, "k8s executor: pod_binary must be absolute");
      }
      options.pod_binary = value;
    } else if (key == "kubeconfig") {
      options.kubeconfig = value;
    } else if (key == "ready_timeout_s") {
      CY_CHECK(seconds(options.ready_timeout));
    } else if (key == "unschedulable_s") {
      CY_CHECK(seconds(options.unschedulable_budget));
    } else if (key == "storage_class") {
      options.storage_class = value;
    } else if (key == "home_size") {
      CY_TRY(options.home_bytes, ParseQuantityBytes(value));
    } else if (key == "shm_size") {
      CY_TRY(options.shm_bytes, ParseQuantityBytes(value));
    } else if (key == "request_fraction") {
      double fraction = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), fraction);
      if (ec != std::errc() || p != value.data() + value.size() || !(fraction > 0) ||
          fraction > 1) {
        return Fail(Error::Code::kInvalidArgument,
                    "k8s executor: request_fraction must be in (0, 1]");
      }
      options.request_fraction = fraction;
    } else if (key == "grace_period_s") {
      CY_CHECK(integer(options.grace_period_s, 0));
    } else if (key == "oneshot_deadline_s") {
      CY_CHECK(integer(options.oneshot_deadline_s, 1));
    } else if (key == "oneshot_orphan_s") {
      CY_CHECK(seconds(options.oneshot_orphan));
    } else if (key == "orphan_renew_ms") {
      int64_t ms = 0;
      CY_CHECK(integer(ms, 100));
      options.orphan_renew = std::chrono::milliseconds(ms);
    } else if (key == "read_only_root") {
      options.read_only_root = value != "0" && value != "false";
    } else if (key == "run_as_user") {
      CY_CHECK(integer(options.run_as_user, 1));
    } else if (key == "run_as_group") {
      CY_CHECK(integer(options.run_as_group, 1));
    } else if (IsClientQueryKey(key)) {
      // The client's own (context=, request_timeout_ms=): ConfigFromQuery checks them.
    } else {
      return Fail(Error::Code::kInvalidArgument,
                  "k8s executor: unknown parameter \"" + key +
                      "\" (known: namespace, image, image.<name>, pod_binary, kubeconfig, "
                      "ready_timeout_s, unschedulable_s, storage_class, home_size, shm_size, "
                      "request_fraction, grace_period_s, oneshot_deadline_s, oneshot_orphan_s, "
                      "orphan_renew_ms, "
                      "read_only_root, "
                      "run_as_user, run_as_group, context, request_timeout_ms)");
    }
  }
  return options;
}

std::string SanitizeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) out += IsAlnum(c) || c == '-' || c == '.' || c == '_' ? c : '_';
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && !IsAlnum(out.back())) out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && !IsAlnum(out[start])) ++start;
  return out.substr(start);
}

bool IsValidLabelKey(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return IsLabelName(key);
  const std::string_view prefix = key.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) return false;
  std::string_view rest = prefix;
  while (true) {
    const auto dot = rest.find('.');
    if (!IsDns1123Label(rest.substr(0, dot))) return false;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return IsLabelName(key.substr(slash + 1));
}

std::string PodName(std::string_view suffix) { return "cy-" + std::string(suffix); }

std::string HomeClaimName(std::string_view workspace_id) {
  return "cy-home-" + SanitizeLabelValue(workspace_id);
}

Result<std::string> ImageReference(const KubeExecutorOptions& options, std::string_view image) {
  if (image.empty()) {
    if (options.image.empty()) {
      return Fail(Error::Code::kInvalidArgument,
                  "k8s executor: the pod names no image and the URI has no image=");
    }
    return options.image;
  }
  if (const auto it = options.images.find(image); it != options.images.end()) return it->second;
  // Only the names the URI maps: any other would be accepted here and fail minutes later, at
  // the pod's image pull, instead of when the workspace, job or problem named it.
  std::string known;
  for (const auto& [mapped, reference] : options.images) {
    known += (known.empty() ? "" : ", ") + mapped;
  }
  return Fail(Error::Code::kInvalidArgument,
              "k8s executor: no image \"" + std::string(image) +
                  "\" (known: " + (known.empty() ? "none" : known) +
                  "; the executor URI maps each name with image.<name>=REFERENCE)");
}

std::optional<std::string> HomeWorkspace(const PodSpec& spec) {
  if (!spec.survive_owner) return std::nullopt;
  const auto it = spec.labels.find(kWorkspaceLabel);
  if (it == spec.labels.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<json::object> BuildPodManifest(const PodSpec& spec, std::string_view name,
                                      const KubeExecutorOptions& options) {
  if (!IsDns1123Label(name)) {
    return Fail(Error::Code::kInvalidArgument,
                "k8s executor: pod name \"" + std::string(name) + "\" is not a DNS-1123 label");
  }
  json::object labels;
  for (const auto& [key, value] : spec.labels) {
    if (!IsValidLabelKey(key)) {
      return Fail(Error::Code::kInvalidArgument,
                  "k8s executor: label key \"" + key + "\" is not a Kubernetes label key");
    }
    labels[key] = SanitizeLabelValue(value);
  }
  labels[kManagedByLabel] = kManagedByValue;
  labels[kNetworkLabel] = spec.network ? "egress" : "none";
  const std::optional<std::string> home = HomeWorkspace(spec);
  if (!spec.labels.contains(kWorkspaceLabel) && !spec.labels.contains(kJobLabel)) {
    // A one-shot pod names itself as its job, so `delete -l codeyard.dev/job` reaches it.
    labels[kJobLabel] = name;
  }
  CY_TRY(const std::string image, ImageReference(options, spec.image));

  json::array env;
  for (const auto& [key, value] : spec.env) {
    if (!IsEnvName(key)) {
      return Fail(Error::Code::kInvalidArgument,
                  "k8s executor: environment name \"" + key + "\" is not an identifier");
    }
    env.push_back(json::object{{"name", key}, {"value", value}});
  }
  if (!spec.env.contains("HOME"))
    env.push_back(json::object{{"name", "HOME"}, {"value", kHomeDir}});

  json::object container_security{{"allowPrivilegeEscalation", false},
                                  {"readOnlyRootFilesystem", options.read_only_root},
                                  {"runAsNonRoot", true},
                                  {"capabilities", json::object{{"drop", json::array{"ALL"}}}},
                                  {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}};

  json::array mounts{Mount("workspace", "/workspace"), Mount("tmp", "/tmp"),
                     Mount("shm", "/dev/shm"), Mount("home", kHomeDir)};
  // /workspace is a tmpfs capped at workspace_bytes, as on the local backend: a memory-backed
  // emptyDir is sized by its sizeLimit (a disk one is only evicted past it), so a put over
  // the cap fails with ENOSPC; it counts against the pod's memory, as the local tmpfs does.
  json::array volumes{
      Volume("workspace", EmptyDir(spec.limits.workspace_bytes, /*memory=*/true), "emptyDir"),
      Volume("tmp", EmptyDir(spec.limits.tmp_bytes), "emptyDir"),
      Volume("shm", EmptyDir(options.shm_bytes, /*memory=*/true), "emptyDir")};
  if (home) {
    volumes.push_back(
        Volume("home", json::object{{"claimName", HomeClaimName(*home)}}, "persistentVolumeClaim"));
  } else {
    volumes.push_back(Volume("home", EmptyDir(std::nullopt), "emptyDir"));
  }

  json::object container{{"name", kContainerName},
                         {"image", image},
                         {"imagePullPolicy", "IfNotPresent"},
                         {"command", json::array{options.pod_binary, "container"}},
                         {"workingDir", "/workspace"},
                         {"env", std::move(env)},
                         {"securityContext", std::move(container_security)},
                         {"volumeMounts", std::move(mounts)}};
  json::object resources = Resources(spec.limits, options.request_fraction);
  if (!resources.empty()) container["resources"] = std::move(resources);

  json::object pod_spec{
      {"containers", json::array{std::move(container)}},
      {"volumes", std::move(volumes)},
      {"restartPolicy", "Never"},
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"terminationGracePeriodSeconds", options.grace_period_s},
      {"hostname", "pod-" + std::string(name.substr(3, 8))},
      {"securityContext",
       json::object{{"runAsNonRoot", true},
                    {"runAsUser", options.run_as_user},
                    {"runAsGroup", options.run_as_group},
                    {"fsGroup", options.run_as_group},
                    {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}}}};
  if (!spec.survive_owner) {
    // The backstop against a one-shot pod whose creator died without deleting it.
    pod_spec["activeDeadlineSeconds"] = options.oneshot_deadline_s;
  }

  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       json::object{{"name", name},
                    {"namespace", options.ns},
                    {"labels", std::move(labels)},
                    {"annotations", json::object{{kSpecAnnotation, EncodeSpecAnnotation(spec)}}}}},
      {"spec", std::move(pod_spec)}};
}

std::optional<std::chrono::milliseconds> OrphanLease(const PodSpec& spec,
                                                     const KubeExecutorOptions& options) {
  if (!spec.survive_owner) return std::chrono::milliseconds(options.oneshot_orphan);
  if (spec.orphan_timeout.count() > 0) return spec.orphan_timeout;
  return std::nullopt;
}

std::string HeldUntil(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::system_clock::now() + timeout;
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(until.time_since_epoch()).count());
}

std::optional<int64_t> HeldUntilOf(const json::object& pod) {
  const json::value* metadata = pod.if_contains("metadata");
  const json::value* annotations = metadata && metadata->is_object()
                                       ? metadata->get_object().if_contains("annotations")
                                       : nullptr;
  const json::value* value = annotations && annotations->is_object()
                                 ? annotations->get_object().if_contains(kHeldUntilAnnotation)
                                 : nullptr;
  if (!value || !value->is_string()) return std::nullopt;
  const std::string_view text = value->get_string();
  int64_t ms = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return ms;
}

json::object BuildHomeClaimManifest(std::string_view workspace_id,
                                    const KubeExecutorOptions& options) {
  json::object spec{
      {"accessModes", json::array{"ReadWriteOnce"}},
      {"resources",
       json::object{{"requests", json::object{{"storage", std::to_string(options.home_bytes)}}}}}};
  if (!options.storage_class.empty()) spec["storageClassName"] = options.storage_class;
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata",
       json::object{{"name", HomeClaimName(workspace_id)},
                    {"namespace", options.ns},
                    {"labels", json::object{{kManagedByLabel, kManagedByValue},
                                            {kWorkspaceLabel, SanitizeLabelValue(workspace_id)}}}}},
      {"spec", std::move(spec)}};
}

std::string SelectorQuery(const LabelSelector& selector) {
  std::string out = std::string(kManagedByLabel) + "=" + std::string(kManagedByValue);
  for (const auto& [key, value] : selector) {
    if (key == kManagedByLabel) continue;
    out += "," + key + "=" + SanitizeLabelValue(value);
  }
  return out;
}

std::string EncodeSpecAnnotation(const PodSpec& spec) {
  json::object labels;
  for (const auto& [key, value] : spec.labels) labels[key] = value;
  json::object limits;
  const auto put = [&](std::string_view key, const auto& value) {
    if (value) limits[key] = *value;
  };
  put("memory_bytes", spec.limits.memory_bytes);
  put("cpus", spec.limits.cpus);
  put("pids", spec.limits.pids);
  put("workspace_bytes", spec.limits.workspace_bytes);
  put("tmp_bytes", spec.limits.tmp_bytes);
  put("file_bytes", spec.limits.file_bytes);
  put("open_files", spec.limits.open_files);
  return json::serialize(json::object{{"labels", std::move(labels)},
                                      {"limits", std::move(limits)},
                                      {"network", spec.network},
                                      {"image", spec.image},
                                      {"survive_owner", spec.survive_owner},
                                      {"orphan_timeout_ms", spec.orphan_timeout.count()}});
}

Result<PodSpec> DecodeSpecAnnotation(std::string_view text) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    return Fail(Error::Code::kInternal, "k8s executor: the pod's spec annotation is not JSON");
  }
  const json::object& root = parsed.get_object();
  PodSpec spec;
  try {
    if (const auto* labels = root.if_contains("labels"); labels && labels->is_object()) {
      for (const auto& [key, value] : labels->get_object()) {
        spec.labels[std::string(key)] = std::string(value.as_string());
      }
    }
    if (const auto* limits = root.if_contains("limits"); limits && limits->is_object()) {
      const json::object& l = limits->get_object();
      const auto get = [&](std::string_view key, auto& out) {
        using T = typename std::remove_reference_t<decltype(out)>::value_type;
        if (const auto* v = l.if_contains(key)) out = json::value_to<T>(*v);
      };
      get("memory_bytes", spec.limits.memory_bytes);
      if (const auto* v = l.if_contains("cpus")) spec.limits.cpus = v->to_number<double>();
      get("pids", spec.limits.pids);
      get("workspace_bytes", spec.limits.workspace_bytes);
      get("tmp_bytes", spec.limits.tmp_bytes);
      get("file_bytes", spec.limits.file_bytes);
      get("open_files", spec.limits.open_files);
    }
    if (const auto* v = root.if_contains("network")) spec.network = v->as_bool();
    if (const auto* v = root.if_contains("image")) spec.image = std::string(v->as_string());
    if (const auto* v = root.if_contains("survive_owner")) spec.survive_owner = v->as_bool();
    if (const auto* v = root.if_contains("orphan_timeout_ms")) {
      spec.orphan_timeout = std::chrono::milliseconds(v->to_number<int64_t>());
    }
  } catch (const std::exception& e) {
    return Fail(Error::Code::kInternal,
                std::string("k8s executor: the pod's spec annotation is malformed: ") + e.what());
  }
  return spec;
}

}  // namespace codeyard::kube
