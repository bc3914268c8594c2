// Reading pod status as the API server sends it: ready, still coming, never coming (with a
// message an operator can act on), and the PodInfo each maps to.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "executor/kubernetes/kube_manifest.hpp"
#include "executor/kubernetes/kube_readiness.hpp"

using namespace codeyard;
using namespace codeyard::kube;
namespace json = boost::json;

namespace {

json::object Parse(std::string_view text) { return json::parse(text).as_object(); }

// Shapes copied from kubectl get pod -o json on a real cluster (trimmed to what is read).
constexpr std::string_view kRunningReady = R"({
  "kind": "Pod", "apiVersion": "v1",
  "metadata": {"name": "cy-0a1b", "namespace": "cy", "uid": "5d2c",
    "resourceVersion": "1742", "creationTimestamp": "2026-12-06T18:29:20Z",
    "labels": {"app.kubernetes.io/managed-by": "codeyard", "codeyard.dev/purpose": "run"}},
  "spec": {"containers": [{"name": "workspace", "image": "ws:1",
    "env": [{"name": "LANG", "value": "C.UTF-8"}, {"name": "HOME", "value": "/home/codeyard"}]}]},
  "status": {"phase": "Running", "podIP": "10.1.0.7",
    "conditions": [
      {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-12-06T18:29:20Z"},
      {"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-06T18:29:22Z"},
      {"type": "ContainersReady", "status": "True"},
      {"type": "PodScheduled", "status": "True"}],
    "containerStatuses": [{"name": "workspace", "ready": true, "restartCount": 0,
      "image": "ws:1", "state": {"running": {"startedAt": "2026-12-06T18:29:21Z"}}}]}})";

constexpr std::string_view kPulling = R"({
  "metadata": {"name": "cy-0a1b", "creationTimestamp": "2026-12-06T18:29:20Z"},
  "status": {"phase": "Pending",
    "conditions": [{"type": "PodScheduled", "status": "True"},
                   {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
    "containerStatuses": [{"name": "workspace", "ready": false, "image": "ws:1",
      "state": {"waiting": {"reason": "ContainerCreating"}}}]}})";

constexpr std::string_view kImagePullBackOff = R"({
  "metadata": {"name": "cy-0a1b"},
  "status": {"phase": "Pending",
    "containerStatuses": [{"name": "workspace", "ready": false, "image": "nope:404",
      "state": {"waiting": {"reason": "ImagePullBackOff",
        "message": "Back-off pulling image \"nope:404\""}}}]}})";

constexpr std::string_view kCrashLoop = R"({
  "metadata": {"name": "cy-0a1b"},
  "status": {"phase": "Running",
    "conditions": [{"type": "Ready", "status": "False"}],
    "containerStatuses": [{"name": "workspace", "ready": false, "restartCount": 4,
      "state": {"waiting": {"reason": "CrashLoopBackOff",
        "message": "back-off 1m20s restarting failed container=workspace"}}}]}})";

constexpr std::string_view kUnschedulable = R"({
  "metadata": {"name": "cy-0a1b"},
  "status": {"phase": "Pending",
    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
      "message": "0/3 nodes are available: 3 Insufficient memory."}]}})";

constexpr std::string_view kFailed = R"({
  "metadata": {"name": "cy-0a1b", "creationTimestamp": "2026-12-06T18:29:20.250+01:00"},
  "status": {"phase": "Failed", "reason": "DeadlineExceeded",
    "message": "Pod was active on the node longer than the specified deadline",
    "containerStatuses": [{"name": "workspace", "state": {"terminated": {"exitCode": 137,
      "reason": "Error"}}}]}})";

constexpr std::string_view kDeleting = R"({
  "metadata": {"name": "cy-0a1b", "deletionTimestamp": "2026-12-06T18:30:00Z",
    "deletionGracePeriodSeconds": 1},
  "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})";

}  // namespace

TEST_CASE("k8s readiness: Running with Ready=True is ready, anything short of it waits",
          "[kube][readiness]") {
  CHECK(ClassifyPod(Parse(kRunningReady)).state == Readiness::kReady);
  CHECK(ClassifyPod(Parse(kPulling)).state == Readiness::kWaiting);
  CHECK(ClassifyPod(Parse(R"({"metadata":{"name":"x"}})")).state == Readiness::kWaiting);
  // Running but not yet Ready (the probe has not passed) still waits.
  CHECK(ClassifyPod(Parse(R"({"metadata":{"name":"x"},"status":{"phase":"Running"}})")).state ==
        Readiness::kWaiting);
}

TEST_CASE("k8s readiness: pods that will never be ready fail fast with the reason",
          "[kube][readiness]") {
  const ReadinessVerdict pull = ClassifyPod(Parse(kImagePullBackOff));
  CHECK(pull.state == Readiness::kFailed);
  CHECK(pull.message.find("cannot pull image nope:404") != std::string::npos);
  CHECK(pull.message.find("ImagePullBackOff") != std::string::npos);

  const ReadinessVerdict crash = ClassifyPod(Parse(kCrashLoop));
  CHECK(crash.state == Readiness::kFailed);
  CHECK(crash.message.find("CrashLoopBackOff") != std::string::npos);

  for (const char* reason : {"ErrImagePull", "CreateContainerConfigError", "InvalidImageName"}) {
    json::object pod = Parse(kImagePullBackOff);
    pod["status"].as_object()["containerStatuses"].as_array()[0].as_object()["state"] =
        json::object{{"waiting", json::object{{"reason", reason}}}};
    INFO(reason);
    CHECK(ClassifyPod(pod).state == Readiness::kFailed);
  }

  const ReadinessVerdict failed = ClassifyPod(Parse(kFailed));
  CHECK(failed.state == Readiness::kFailed);
  CHECK(failed.message.find("exited with 137") != std::string::npos);

  const ReadinessVerdict deleting = ClassifyPod(Parse(kDeleting));
  CHECK(deleting.state == Readiness::kFailed);
  CHECK(deleting.message.find("being deleted") != std::string::npos);
}

TEST_CASE("k8s readiness: an unschedulable pod is reported for the caller's budget",
          "[kube][readiness]") {
  const ReadinessVerdict verdict = ClassifyPod(Parse(kUnschedulable));
  CHECK(verdict.state == Readiness::kUnschedulable);
  CHECK(verdict.message.find("Insufficient memory") != std::string::npos);
}

TEST_CASE("k8s readiness: pod objects map to PodInfo", "[kube][readiness]") {
  auto running = PodInfoFromObject(Parse(kRunningReady));
  REQUIRE(running.has_value());
  CHECK(running->id == "cy-0a1b");
  CHECK(running->phase == PodPhase::kRunning);
  CHECK(running->created_unix_ms == 1796581760000);
  // Without our annotation, the labels come back from the object; HOME we added is dropped.
  CHECK(running->spec.labels.at("codeyard.dev/purpose") == "run");
  CHECK(running->spec.env == std::map<std::string, std::string>{{"LANG", "C.UTF-8"}});

  auto pending = PodInfoFromObject(Parse(kImagePullBackOff));
  REQUIRE(pending.has_value());
  CHECK(pending->phase == PodPhase::kPending);
  CHECK(pending->message.find("ImagePullBackOff") != std::string::npos);

  auto failed = PodInfoFromObject(Parse(kFailed));
  REQUIRE(failed.has_value());
  CHECK(failed->phase == PodPhase::kTerminated);
  CHECK(failed->created_unix_ms == 1796581760000 - 3600000 + 250);
  CHECK(PodInfoFromObject(Parse(kDeleting))->phase == PodPhase::kTerminated);
  CHECK_FALSE(PodInfoFromObject(Parse(R"({"status":{}})")).has_value());

  // With the annotation, the PodSpec comes back exactly, unsanitised labels included.
  PodSpec spec;
  spec.labels["codeyard.dev/workspace"] = "w 1";
  spec.limits.pids = 99;
  auto options = ParseKubeUri("k8s:?image=ws:1").value();
  json::object pod = BuildPodManifest(spec, "cy-ff00", options).value();
  pod["status"] = json::object{{"phase", "Pending"}};
  auto info = PodInfoFromObject(pod);
  REQUIRE(info.has_value());
  CHECK(info->spec.labels == spec.labels);
  CHECK(info->spec.limits.pids == 99);
}

TEST_CASE("k8s readiness: RFC 3339 timestamps", "[kube][readiness]") {
  CHECK(ParseRfc3339Millis("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339Millis("1970-01-01T00:00:01.5Z") == 1500);
  CHECK(ParseRfc3339Millis("1970-01-01T01:00:00+01:00") == 0);
  CHECK(ParseRfc3339Millis("2026-02-30T00:00:00Z") == 0);
  CHECK(ParseRfc3339Millis("yesterday") == 0);
}
