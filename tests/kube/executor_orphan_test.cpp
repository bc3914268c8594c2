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
