// The `k8s:` executor's URI and the Pod/PVC objects it sends: labels, image mapping, Pod
// Security "restricted" fields, resources, volumes, lifetime fields, and the spec annotation
// that lets any replica read a pod's PodSpec back.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "executor/kubernetes/kube_manifest.hpp"

using namespace codeyard;
using namespace codeyard::kube;
namespace json = boost::json;

namespace {

KubeExecutorOptions Options() {
  auto options = ParseKubeUri("k8s:?namespace=cy&image=registry.example/ws:1&image.py=py:3");
  REQUIRE(options.has_value());
  return *options;
}

PodSpec WorkspaceSpec() {
  PodSpec spec;
  spec.labels["codeyard.dev/workspace"] = "3f2b8c1e-9a4d-4e7f-8b1a-2c3d4e5f6a7b";
  spec.labels["codeyard.dev/purpose"] = "workspace";
  spec.limits.cpus = 0.5;
  spec.limits.memory_bytes = uint64_t{512} << 20;
  spec.limits.workspace_bytes = uint64_t{1} << 30;
  spec.limits.tmp_bytes = uint64_t{64} << 20;
  spec.env["LANG"] = "C.UTF-8";
  spec.survive_owner = true;
  return spec;
}

const json::object& Container(const json::object& pod) {
  return pod.at("spec").at("containers").at(0).as_object();
}

const json::object* VolumeNamed(const json::object& pod, std::string_view name) {
  for (const json::value& v : pod.at("spec").at("volumes").as_array()) {
    if (v.at("name").as_string() == name) return &v.as_object();
  }
  return nullptr;
}

}  // namespace

TEST_CASE("k8s executor: the URI takes its documented keys and refuses others",
          "[kube][manifest]") {
  auto options = ParseKubeUri(
      "k8s:?namespace=team-a&image=ws:1&image.py=py:3&pod_binary=/opt/cy-pod&kubeconfig=/k&"
      "ready_timeout_s=30&storage_class=fast&home_size=2Gi&request_fraction=0.5&"
      "grace_period_s=0&oneshot_deadline_s=60&read_only_root=0&context=kind&request_timeout_ms="
      "500");
  REQUIRE(options.has_value());
  CHECK(options->ns == "team-a");
  CHECK(options->image == "ws:1");
  CHECK(options->images.at("py") == "py:3");
  CHECK(options->pod_binary == "/opt/cy-pod");
  CHECK(options->kubeconfig == "/k");
  CHECK(options->ready_timeout == std::chrono::seconds(30));
  CHECK(options->storage_class == "fast");
  CHECK(options->home_bytes == uint64_t{2} << 30);
  CHECK(options->request_fraction == 0.5);
  CHECK(options->grace_period_s == 0);
  CHECK(options->oneshot_deadline_s == 60);
  CHECK_FALSE(options->read_only_root);

  auto defaults = ParseKubeUri("k8s:");
  REQUIRE(defaults.has_value());
  CHECK(defaults->ns.empty());  // the kubeconfig context's namespace
  CHECK(defaults->pod_binary == "/usr/local/bin/codeyard-pod");

  for (const char* bad : {"k8s:?namespace=Team_A", "k8s:?colour=blue", "k8s:?ready_timeout_s=0",
                          "k8s:?home_size=lots", "k8s:?request_fraction=1.5",
                          "k8s:?pod_binary=relative", "k8s:nope", "local:"}) {
    INFO(bad);
    auto refused = ParseKubeUri(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code() == Error::Code::kInvalidArgument);
  }
  CHECK(ParseKubeUri("k8s:?colour=blue").error().message().find("known:") != std::string::npos);
}

TEST_CASE("k8s executor: sizes parse as Kubernetes quantities", "[kube][manifest]") {
  CHECK(ParseQuantityBytes("512Mi").value() == uint64_t{512} << 20);
  CHECK(ParseQuantityBytes("1G").value() == 1000000000);
  CHECK(ParseQuantityBytes("4096").value() == 4096);
  CHECK_FALSE(ParseQuantityBytes("1Zi").has_value());
  CHECK_FALSE(ParseQuantityBytes("Gi").has_value());
  CHECK_FALSE(ParseQuantityBytes("99999999999999Ti").has_value());
}

TEST_CASE("k8s executor: label values are cut to Kubernetes' rules", "[kube][manifest]") {
  CHECK(SanitizeLabelValue("3f2b8c1e-9a4d") == "3f2b8c1e-9a4d");
  CHECK(SanitizeLabelValue("my job/1 ") == "my_job_1");
  CHECK(SanitizeLabelValue("--x--") == "x");
  CHECK(SanitizeLabelValue(std::string(100, 'a')).size() == 63);
  CHECK(SanitizeLabelValue("") == "");
  CHECK(IsValidLabelKey("codeyard.dev/workspace"));
  CHECK(IsValidLabelKey("app"));
  CHECK_FALSE(IsValidLabelKey("Bad_Prefix/x"));
  CHECK_FALSE(IsValidLabelKey("a/b/c"));
  CHECK_FALSE(IsValidLabelKey(""));
}

TEST_CASE("k8s executor: a workspace pod is restricted, labelled, sized and keeps its home",
          "[kube][manifest]") {
  const PodSpec spec = WorkspaceSpec();
  auto built = BuildPodManifest(spec, "cy-0123456789abcdef", Options());
  REQUIRE(built.has_value());
  const json::object& pod = *built;
  CHECK(pod.at("kind") == "Pod");
  CHECK(pod.at("metadata").at("name") == "cy-0123456789abcdef");
  CHECK(pod.at("metadata").at("namespace") == "cy");
  const json::object& labels = pod.at("metadata").at("labels").as_object();
  CHECK(labels.at("app.kubernetes.io/managed-by") == "codeyard");
  CHECK(labels.at("codeyard.dev/workspace") == "3f2b8c1e-9a4d-4e7f-8b1a-2c3d4e5f6a7b");
  CHECK(labels.at("codeyard.dev/purpose") == "workspace");
  CHECK(labels.at("codeyard.dev/network") == "none");
  CHECK_FALSE(labels.contains("codeyard.dev/job"));

  const json::object& podspec = pod.at("spec").as_object();
  CHECK(podspec.at("automountServiceAccountToken") == false);
  CHECK(podspec.at("enableServiceLinks") == false);
  CHECK(podspec.at("restartPolicy") == "Never");
  CHECK(podspec.at("terminationGracePeriodSeconds") == 1);
  CHECK_FALSE(podspec.contains("activeDeadlineSeconds"));  // a workspace lives until stopped
  const json::object& pod_security = podspec.at("securityContext").as_object();
  CHECK(pod_security.at("runAsNonRoot") == true);
  CHECK(pod_security.at("runAsUser") == 1000);
  CHECK(pod_security.at("runAsGroup") == 1000);
  CHECK(pod_security.at("fsGroup") == 1000);
  CHECK(pod_security.at("seccompProfile").at("type") == "RuntimeDefault");

  const json::object& container = Container(pod);
  CHECK(container.at("name") == "workspace");
  CHECK(container.at("image") == "registry.example/ws:1");
  CHECK(container.at("command") == json::array{"/usr/local/bin/codeyard-pod", "container"});
  const json::object& security = container.at("securityContext").as_object();
  CHECK(security.at("allowPrivilegeEscalation") == false);
  CHECK(security.at("readOnlyRootFilesystem") == true);
  CHECK(security.at("runAsNonRoot") == true);
  CHECK(security.at("capabilities").at("drop") == json::array{"ALL"});
  CHECK(security.at("seccompProfile").at("type") == "RuntimeDefault");
  CHECK(container.at("resources").at("limits").at("cpu") == "500m");
  CHECK(container.at("resources").at("limits").at("memory") == "536870912");
  CHECK(container.at("resources").at("requests") == container.at("resources").at("limits"));
  bool lang = false;
  for (const json::value& e : container.at("env").as_array()) {
    lang = lang || (e.at("name") == "LANG" && e.at("value") == "C.UTF-8");
  }
  CHECK(lang);

  const json::object* workspace = VolumeNamed(pod, "workspace");
  REQUIRE(workspace != nullptr);
  CHECK(workspace->at("emptyDir").at("sizeLimit") == "1073741824");
  CHECK(workspace->at("emptyDir").at("medium") == "Memory");  // a hard cap, as a tmpfs
  REQUIRE(VolumeNamed(pod, "tmp") != nullptr);
  CHECK(VolumeNamed(pod, "tmp")->at("emptyDir").at("sizeLimit") == "67108864");
  REQUIRE(VolumeNamed(pod, "shm") != nullptr);
  CHECK(VolumeNamed(pod, "shm")->at("emptyDir").at("medium") == "Memory");
  const json::object* home = VolumeNamed(pod, "home");
  REQUIRE(home != nullptr);
  CHECK(home->at("persistentVolumeClaim").at("claimName") ==
        "cy-home-3f2b8c1e-9a4d-4e7f-8b1a-2c3d4e5f6a7b");
  // Every volume type is one Pod Security "restricted" allows.
  for (const json::value& v : podspec.at("volumes").as_array()) {
    CHECK((v.as_object().contains("emptyDir") || v.as_object().contains("persistentVolumeClaim")));
  }
  std::vector<std::string> mounted;
  for (const json::value& m : container.at("volumeMounts").as_array()) {
    mounted.emplace_back(m.at("mountPath").as_string());
  }
  CHECK(mounted == std::vector<std::string>{"/workspace", "/tmp", "/dev/shm", "/home/codeyard"});
}

TEST_CASE("k8s executor: a one-shot pod names its job, has a deadline and no claim",
          "[kube][manifest]") {
  PodSpec spec;
  spec.labels["codeyard.dev/purpose"] = "run";
  spec.network = true;
  spec.image = "py";
  spec.limits.cpus = 2;
  spec.limits.memory_bytes = 1000;
  auto options = Options();
  options.request_fraction = 0.25;
  auto built = BuildPodManifest(spec, "cy-00aa", options);
  REQUIRE(built.has_value());
  const json::object& labels = built->at("metadata").at("labels").as_object();
  CHECK(labels.at("codeyard.dev/job") == "cy-00aa");
  CHECK(labels.at("codeyard.dev/network") == "egress");
  CHECK(built->at("spec").at("activeDeadlineSeconds") == 3600);
  CHECK(Container(*built).at("image") == "py:3");  // mapped by image.py=
  CHECK(Container(*built).at("resources").at("requests").at("cpu") == "500m");
  CHECK(Container(*built).at("resources").at("requests").at("memory") == "250");
  CHECK(VolumeNamed(*built, "home")->contains("emptyDir"));

  // Not mapped: refused, naming the image and the names the URI maps (issue 18 item 2).
  spec.image = "docker.io/library/python:3.12";
  const auto unmapped = BuildPodManifest(spec, "cy-00aa", options);
  REQUIRE_FALSE(unmapped.has_value());
  CHECK(unmapped.error().code() == Error::Code::kInvalidArgument);
  CHECK_THAT(unmapped.error().message(),
             Catch::Contains("\"docker.io/library/python:3.12\"") && Catch::Contains("known: py"));
  spec.image = "py";

  // A workspace label without survive_owner (a one-shot run for a workspace) has no claim.
  spec.labels["codeyard.dev/workspace"] = "w1";
  CHECK_FALSE(HomeWorkspace(spec).has_value());
}

TEST_CASE("k8s executor: bad specs are refused before reaching the API server",
          "[kube][manifest]") {
  PodSpec spec;
  auto no_image = ParseKubeUri("k8s:").value();
  auto refused = BuildPodManifest(spec, "cy-1", no_image);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kInvalidArgument);
  CHECK(refused.error().message().find("image=") != std::string::npos);

  spec.labels["Not A Key"] = "x";
  CHECK(BuildPodManifest(spec, "cy-1", Options()).error().code() == Error::Code::kInvalidArgument);
  spec.labels.clear();
  spec.env["1BAD"] = "x";
  CHECK(BuildPodManifest(spec, "cy-1", Options()).error().code() == Error::Code::kInvalidArgument);
  spec.env.clear();
  CHECK(BuildPodManifest(spec, "Cy_1", Options()).error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("k8s executor: the home claim is ReadWriteOnce, sized, labelled and classed",
          "[kube][manifest]") {
  auto options = Options();
  options.storage_class = "fast-ssd";
  const json::object claim = BuildHomeClaimManifest("w-1", options);
  CHECK(claim.at("kind") == "PersistentVolumeClaim");
  CHECK(claim.at("metadata").at("name") == "cy-home-w-1");
  CHECK(claim.at("metadata").at("labels").at("app.kubernetes.io/managed-by") == "codeyard");
  CHECK(claim.at("metadata").at("labels").at("codeyard.dev/workspace") == "w-1");
  CHECK(claim.at("spec").at("accessModes") == json::array{"ReadWriteOnce"});
  CHECK(claim.at("spec").at("resources").at("requests").at("storage") == "1073741824");
  CHECK(claim.at("spec").at("storageClassName") == "fast-ssd");
  CHECK_FALSE(
      BuildHomeClaimManifest("w-1", Options()).at("spec").as_object().contains("storageClassName"));
}

TEST_CASE("k8s executor: selectors are ours and sanitised like the labels", "[kube][manifest]") {
  CHECK(SelectorQuery({}) == "app.kubernetes.io/managed-by=codeyard");
  CHECK(SelectorQuery({{"codeyard.dev/purpose", "workspace"}, {"x", "a b"}}) ==
        "app.kubernetes.io/managed-by=codeyard,codeyard.dev/purpose=workspace,x=a_b");
}

TEST_CASE("k8s executor: the spec annotation round-trips the PodSpec", "[kube][manifest]") {
  PodSpec spec = WorkspaceSpec();
  spec.labels["free text"] = "a value with spaces / and slashes";
  spec.limits.pids = 256;
  spec.limits.file_bytes = 1 << 20;
  spec.limits.open_files = 64;
  spec.image = "py";
  spec.network = true;
  spec.orphan_timeout = std::chrono::minutes(3);
  auto back = DecodeSpecAnnotation(EncodeSpecAnnotation(spec));
  REQUIRE(back.has_value());
  CHECK(back->labels == spec.labels);
  CHECK(back->limits.cpus == spec.limits.cpus);
  CHECK(back->limits.memory_bytes == spec.limits.memory_bytes);
  CHECK(back->limits.pids == spec.limits.pids);
  CHECK(back->limits.workspace_bytes == spec.limits.workspace_bytes);
  CHECK(back->limits.tmp_bytes == spec.limits.tmp_bytes);
  CHECK(back->limits.file_bytes == spec.limits.file_bytes);
  CHECK(back->limits.open_files == spec.limits.open_files);
  CHECK(back->image == "py");
  CHECK(back->network);
  CHECK(back->survive_owner);
  CHECK(back->orphan_timeout == std::chrono::minutes(3));
  CHECK(DecodeSpecAnnotation("{not json").error().code() == Error::Code::kInternal);
  CHECK(DecodeSpecAnnotation(R"({"labels":{"a":1}})").error().code() == Error::Code::kInternal);
}
