// What the `k8s:` executor asks the API server for: its URI options, and the Pod and
// PersistentVolumeClaim objects a PodSpec becomes (Pod Security "restricted", our labels,
// requests and limits, emptyDir volumes sized from ResourceLimits, a home volume per
// workspace). Pure functions of their arguments, unit-tested on their JSON; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard::kube {

// Labels every object of ours carries; the NetworkPolicy (k8s/) selects on kNetworkLabel.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "codeyard";
inline constexpr std::string_view kWorkspaceLabel = "codeyard.dev/workspace";
inline constexpr std::string_view kJobLabel = "codeyard.dev/job";
inline constexpr std::string_view kNetworkLabel = "codeyard.dev/network";  // none | egress
// The PodSpec as given (labels before sanitising, limits, image, lifetime), so any replica
// reads back the spec exactly: label values are cut to Kubernetes' rules on the object.
inline constexpr std::string_view kSpecAnnotation = "codeyard.dev/spec";
// A survive_owner pod with an orphan_timeout: until when (Unix ms, wall clock) its holders
// vouch for it. Every executor holding it renews it; any executor's sweep deletes it once
// past (kubernetes_executor_lease.cpp).
inline constexpr std::string_view kHeldUntilAnnotation = "codeyard.dev/held-until";
inline constexpr std::string_view kContainerName = "workspace";
inline constexpr std::string_view kHomeDir = "/home/codeyard";

struct KubeExecutorOptions {
  std::string ns;     // `namespace=`; "" is the kubeconfig context's or the service account's
  std::string image;  // `image=`: the container image of PodSpec::image ""
  // `image.<name>=REF`: PodSpec::image names mapped to image references: the images this
  // backend knows (Executor::CheckImage); a name not listed is refused.
  std::map<std::string, std::string, std::less<>> images;
  std::string pod_binary = "/usr/local/bin/codeyard-pod";  // `pod_binary=`
  std::string kubeconfig;                                  // `kubeconfig=`: "" means in-cluster
  std::chrono::seconds ready_timeout{120};                 // `ready_timeout_s=`
  std::chrono::seconds unschedulable_budget{30};           // `unschedulable_s=`
  std::string storage_class;                               // `storage_class=`: "" is the default
  uint64_t home_bytes = uint64_t{1} << 30;                 // `home_size=` (bytes, or 1Gi, 512Mi)
  double request_fraction = 1.0;                           // `request_fraction=` (0, 1]
  int64_t grace_period_s = 1;                              // `grace_period_s=`
  int64_t oneshot_deadline_s = 3600;                       // `oneshot_deadline_s=`
  uint64_t shm_bytes = uint64_t{64} << 20;                 // `shm_size=`
  bool read_only_root = true;                              // `read_only_root=`
  int64_t run_as_user = 1000;                              // `run_as_user=`
  int64_t run_as_group = 1000;                             // `run_as_group=`
  // `orphan_renew_ms=`: how often the executor renews the held-until of the pods it holds
  // and deletes those whose holders stopped (at most a third of a pod's orphan_timeout).
  std::chrono::milliseconds orphan_renew{10000};
  // `oneshot_orphan_s=`: the orphan lease of one-shot pods (not survive_owner). Their holder
  // renews it as a workspace pod's; once the holder is gone (its process died) any
  // executor's sweep, or `codeyard gc`, deletes the pod this long after.
  // activeDeadlineSeconds stays the backstop when nothing sweeps.
  std::chrono::seconds oneshot_orphan{60};
};

// The orphan lease a pod of `spec` carries: a survive_owner pod's orphan_timeout (none when
// zero), a one-shot pod's oneshot_orphan.
[[nodiscard]] std::optional<std::chrono::milliseconds> OrphanLease(
    const PodSpec& spec, const KubeExecutorOptions& options);

// The held-until annotation's value for `timeout` from now (Unix ms), and its reading from a
// pod object: nullopt when the pod has none (no orphan_timeout) or it is malformed.
[[nodiscard]] std::string HeldUntil(std::chrono::milliseconds timeout);
[[nodiscard]] std::optional<int64_t> HeldUntilOf(const boost::json::object& pod);

// Parses "k8s:" or "k8s:?namespace=ns&image=ref&image.py=ref2&kubeconfig=/f&...".
[[nodiscard]] Result<KubeExecutorOptions> ParseKubeUri(std::string_view uri);

// "1Gi", "512Mi", "100M", "12345" as bytes.
[[nodiscard]] Result<uint64_t> ParseQuantityBytes(std::string_view text);

// A label value cut to Kubernetes' rules: at most 63 of [A-Za-z0-9._-], starting and ending
// alphanumeric (others become '_', the ends are trimmed). Pure.
[[nodiscard]] std::string SanitizeLabelValue(std::string_view value);
// A label key: a DNS-subdomain prefix, '/', and a name with the value's rules.
[[nodiscard]] bool IsValidLabelKey(std::string_view key);

// A pod name: "cy-" + `suffix` (lower-case hex), a DNS-1123 label.
[[nodiscard]] std::string PodName(std::string_view suffix);
// The workspace's home volume: "cy-home-<workspace id>".
[[nodiscard]] std::string HomeClaimName(std::string_view workspace_id);

// The image reference PodSpec::image maps to. kInvalidArgument when "" and no `image=`, and
// for a name the URI does not map (naming the names it maps).
[[nodiscard]] Result<std::string> ImageReference(const KubeExecutorOptions& options,
                                                 std::string_view image);

// The workspace a PodSpec's pod keeps a home volume for: a survive_owner pod labelled with
// codeyard.dev/workspace; nullopt for other pods (their home is an emptyDir).
[[nodiscard]] std::optional<std::string> HomeWorkspace(const PodSpec& spec);

// The Pod object for `spec`, named `name`. kInvalidArgument for a label key Kubernetes
// refuses, an unmapped image, or an env name that is not a C identifier.
[[nodiscard]] Result<boost::json::object> BuildPodManifest(const PodSpec& spec,
                                                           std::string_view name,
                                                           const KubeExecutorOptions& options);

// The home PersistentVolumeClaim of `workspace_id`.
[[nodiscard]] boost::json::object BuildHomeClaimManifest(std::string_view workspace_id,
                                                         const KubeExecutorOptions& options);

// The labelSelector query value ("a=b,c=d") selecting our pods that match `selector`, with
// values sanitised as BuildPodManifest does (an exact match is then checked on the spec).
[[nodiscard]] std::string SelectorQuery(const LabelSelector& selector);

// The spec annotation's JSON, and the PodSpec read back from it (env from the container).
[[nodiscard]] std::string EncodeSpecAnnotation(const PodSpec& spec);
[[nodiscard]] Result<PodSpec> DecodeSpecAnnotation(std::string_view text);

}  // namespace codeyard::kube
