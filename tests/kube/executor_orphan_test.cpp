// PodSpec::orphan_timeout on `k8s:` against codeyard-kube-fake: a workspace pod carries a
// held-until annotation that every executor holding it renews; once nobody holds it, any
// replica's sweep deletes it after the timeout. A pod without an orphan_timeout is never swept.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "codeyard/backend/registry.hpp"
#include "executor/kubernetes/kube_config.hpp"
#include "executor/kubernetes/kube_http.hpp"
#include "executor/kubernetes/kube_manifest.hpp"
#include "kube/executor_fake_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::shared_ptr<Executor> Open(const KubeFake& fake) {
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor(
      fake.Uri("&pod_binary=" + KubeFake::BinDir() + "/codeyard-pod&orphan_renew_ms=200"), {});
  INFO((opened ? std::string() : opened.error().ToString()));
  REQUIRE(opened.has_value());
  return *opened;
}

PodSpec Spec(const std::string& workspace, std::chrono::milliseconds orphan_timeout) {
  PodSpec spec;
  spec.labels["codeyard.dev/workspace"] = workspace;
  spec.limits.memory_bytes = uint64_t{128} << 20;
  spec.survive_owner = true;
  spec.orphan_timeout = orphan_timeout;
  return spec;
}

std::string Create(Executor& executor, const PodSpec& spec, std::shared_ptr<Pod>* keep = nullptr) {
  auto pod = executor.CreatePod(spec);
  INFO((pod ? std::string() : pod.error().ToString()));
  REQUIRE(pod.has_value());
  if (keep != nullptr) *keep = *pod;
  return (*pod)->id();
}

// The pod object while the API server has it and it is not being deleted.
std::optional<json::object> Live(kube::Client& client, const std::string& ns,
                                 const std::string& name) {
  auto got = client.Get(kube::Resource{"v1", "pods", ns, name, ""});
  if (!got) {
    REQUIRE(got.error().code() == Error::Code::kNotFound);
    return std::nullopt;
  }
  if (got->as_object().at("metadata").as_object().contains("deletionTimestamp")) {
    return std::nullopt;
  }
  return got->as_object();
}

void AwaitGone(kube::Client& client, const std::string& ns, const std::string& name) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (Live(client, ns, name)) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
}

}  // namespace

TEST_CASE("k8s executor: a pod nobody holds is deleted after its orphan_timeout", "[kube][fake]") {
  KubeFake fake;
  auto client = fake.TestClient();
  kube::Client& api = *client;

  auto first = Open(fake);
  auto second = Open(fake);
  std::shared_ptr<Pod> held_by_first;
  const std::string held = Create(*first, Spec("held", 2s), &held_by_first);
  // Made by the first replica, held by the second only.
  const std::string passed = Create(*first, Spec("passed", 2s));
  REQUIRE(second->GetPod(passed).has_value());
  auto held_by_second = second->GetPod(passed).value();
  const std::string dropped = Create(*first, Spec("dropped", 2s));
  const std::string forever = Create(*first, Spec("forever", 0ms));

  const auto annotation = kube::HeldUntilOf(*Live(api, fake.ns(), held));
  REQUIRE(annotation.has_value());
  CHECK_FALSE(kube::HeldUntilOf(*Live(api, fake.ns(), forever)).has_value());

  // The dropped pod goes; the ones made before it are still there, renewed by their holders.
  AwaitGone(api, fake.ns(), dropped);
  const auto renewed = Live(api, fake.ns(), held);
  REQUIRE(renewed.has_value());
  CHECK(kube::HeldUntilOf(*renewed).value() > *annotation);
  CHECK(Live(api, fake.ns(), passed).has_value());

  // The first replica goes away (as a crashed server would stop renewing): the second
  // replica's sweep deletes the pod only the first held.
  held_by_first.reset();
  first.reset();
  AwaitGone(api, fake.ns(), held);
  CHECK(Live(api, fake.ns(), passed).has_value());
  CHECK(Live(api, fake.ns(), forever).has_value());

  held_by_second.reset();
  AwaitGone(api, fake.ns(), passed);
  CHECK(Live(api, fake.ns(), forever).has_value());
  REQUIRE(second->DeletePod(forever).has_value());
}

namespace {

// A one-shot pod as a crashed holder leaves it, posted by the test's own client: codeyard's
// labels, a job, and `command` as its container's program (`/bin/sleep 600` unless `ends`:
// `/bin/true`).
std::string PostOneShot(kube::Client& api, const KubeFake& fake, const std::string& name, bool ends,
                        std::optional<int64_t> held_until) {
  const json::array command = ends ? json::array{"/bin/true"} : json::array{"/bin/sleep", "600"};
  json::object metadata{{"name", name},
                        {"namespace", fake.ns()},
                        {"labels", json::object{{"app.kubernetes.io/managed-by", "codeyard"},
                                                {"codeyard.dev/job", name}}}};
  if (held_until) {
    metadata["annotations"] =
        json::object{{"codeyard.dev/held-until", std::to_string(*held_until)}};
  }
  const json::value pod{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", std::move(metadata)},
      {"spec", json::object{{"restartPolicy", "Never"},
                            {"containers", json::array{json::object{{"name", "workspace"},
                                                                    {"image", "ws:test"},
                                                                    {"command", command}}}}}}};
  auto posted = api.Post(kube::Resource{"v1", "pods", fake.ns(), "", ""}, pod);
  INFO((posted ? std::string() : posted.error().ToString()));
  REQUIRE(posted.has_value());
  return name;
}

std::string PhaseOf(kube::Client& api, const KubeFake& fake, const std::string& name) {
  auto got = api.Get(kube::Resource{"v1", "pods", fake.ns(), name, ""});
  if (!got) return "gone";
  const auto* status = got->as_object().if_contains("status");
  const auto* phase = status ? status->as_object().if_contains("phase") : nullptr;
  return phase && phase->is_string() ? std::string(phase->as_string()) : "";
}

}  // namespace

TEST_CASE("k8s executor: SweepOrphans deletes ended one-shot pods and lapsed leases only",
          "[kube][fake]") {
  KubeFake fake;
  auto client = fake.TestClient();
  kube::Client& api = *client;
  // Renewals far apart, so only the test's own SweepOrphans calls delete anything.
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor(
      fake.Uri("&pod_binary=" + KubeFake::BinDir() +
               "/codeyard-pod&orphan_renew_ms=600000&oneshot_orphan_s=600"),
      {});
  REQUIRE(opened.has_value());
  Executor& executor = **opened;

  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Ended (its program exited), a lease that passed, a lease still running, none at all.
  const std::string ended = PostOneShot(api, fake, "cy-ended", true, std::nullopt);
  const std::string lapsed = PostOneShot(api, fake, "cy-lapsed", false, now_ms - 1000);
  const std::string leased = PostOneShot(api, fake, "cy-leased", false, now_ms + 600000);
  const std::string unleased = PostOneShot(api, fake, "cy-unleased", false, std::nullopt);
  // A one-shot pod this executor made and holds: leased (oneshot_orphan_s), so never swept.
  PodSpec oneshot;
  oneshot.limits.memory_bytes = uint64_t{128} << 20;
  std::shared_ptr<Pod> held;
  const std::string mine = Create(executor, oneshot, &held);
  CHECK(kube::HeldUntilOf(*Live(api, fake.ns(), mine)).value() > now_ms);

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (PhaseOf(api, fake, ended) != "Succeeded") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
  auto swept = executor.SweepOrphans();
  INFO((swept ? std::string() : swept.error().ToString()));
  REQUIRE(swept.has_value());
  CHECK(*swept == 2);
  AwaitGone(api, fake.ns(), ended);
  AwaitGone(api, fake.ns(), lapsed);
  CHECK(Live(api, fake.ns(), leased).has_value());
  CHECK(Live(api, fake.ns(), unleased).has_value());
  CHECK(Live(api, fake.ns(), mine).has_value());
  CHECK(executor.SweepOrphans().value() == 0);

  for (const auto& name : {leased, unleased}) {
    REQUIRE(executor.DeletePod(name).has_value());
  }
}

TEST_CASE("k8s executor: home volumes are listed by label, and images are the URI's names",
          "[kube][fake]") {
  KubeFake fake;
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor(
      fake.Uri("&pod_binary=" + KubeFake::BinDir() + "/codeyard-pod&image.py=py:3"), {});
  REQUIRE(opened.has_value());
  Executor& executor = **opened;

  CHECK(executor.CheckImage("").has_value());
  CHECK(executor.CheckImage("py").has_value());
  const auto unknown = executor.CheckImage("nope");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == Error::Code::kInvalidArgument);
  CHECK_THAT(unknown.error().message(),
             Catch::Contains("\"nope\"") && Catch::Contains("known: py"));

  CHECK(executor.ListVolumes({}).value().empty());
  std::shared_ptr<Pod> pod;
  Create(executor, Spec("ws-one", 0ms), &pod);
  const auto volumes = executor.ListVolumes({{"codeyard.dev/workspace", "ws-one"}});
  REQUIRE(volumes.has_value());
  REQUIRE(volumes->size() == 1);
  CHECK(volumes->front().at("codeyard.dev/workspace") == "ws-one");
  CHECK(volumes->front().at("app.kubernetes.io/managed-by") == "codeyard");
  CHECK(executor.ListVolumes({{"codeyard.dev/workspace", "ws-two"}}).value().empty());

  REQUIRE(executor.DeletePod(pod->id()).has_value());
  pod.reset();
  REQUIRE(executor.DeleteVolumes({{"codeyard.dev/workspace", "ws-one"}}).has_value());
  CHECK(executor.ListVolumes({}).value().empty());
}
