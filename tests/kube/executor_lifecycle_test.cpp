// The `k8s:` executor against codeyard-kube-fake (a real API server on loopback that runs
// each pod as a local sandbox pod): pods become ready through the watch, another replica
// reaches, lists and deletes them, a workspace keeps its home volume across pods until
// DeleteVolumes, a one-shot pod dies with its holder, a pod whose container cannot run
// fails fast with the reason, and the objects carry the labels the NetworkPolicy selects.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "codeyard/backend/registry.hpp"
#include "executor/kubernetes/kube_config.hpp"
#include "executor/kubernetes/kube_http.hpp"
#include "executor/kubernetes/kubernetes_executor.hpp"
#include "kube/executor_fake_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
namespace json = boost::json;

namespace {

// The freshly built init, which the fake binds into every pod.
std::string PodBinary() { return "&pod_binary=" + KubeFake::BinDir() + "/codeyard-pod"; }

std::shared_ptr<Executor> Open(const KubeFake& fake, const std::string& extra = PodBinary()) {
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor(fake.Uri(extra), {});
  INFO((opened ? std::string() : opened.error().ToString()));
  REQUIRE(opened.has_value());
  return *opened;
}

std::shared_ptr<kube::Client> ClientOf(const KubeFake& fake) { return fake.TestClient(); }

PodSpec WorkspacePodSpec(const std::string& workspace) {
  PodSpec spec;
  spec.labels["codeyard.dev/workspace"] = workspace;
  spec.labels["codeyard.dev/purpose"] = "workspace";
  spec.limits.memory_bytes = uint64_t{256} << 20;
  spec.limits.cpus = 0.5;
  spec.survive_owner = true;
  return spec;
}

// The pod object, or nullopt once the API server has forgotten it.
std::optional<json::object> PodObject(kube::Client& client, const std::string& ns,
                                      const std::string& name) {
  auto got = client.Get(kube::Resource{"v1", "pods", ns, name, ""});
  if (!got) {
    REQUIRE(got.error().code() == Error::Code::kNotFound);
    return std::nullopt;
  }
  return got->as_object();
}

bool Deleting(const std::optional<json::object>& pod) {
  return !pod || pod->at("metadata").as_object().contains("deletionTimestamp");
}

}  // namespace

TEST_CASE("k8s executor: a workspace pod is created ready, labelled and restricted",
          "[kube][fake]") {
  KubeFake fake;
  auto executor = Open(fake);
  CHECK(executor->scheme() == "k8s");
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-1"));
  INFO((pod ? std::string() : pod.error().ToString()));
  REQUIRE(pod.has_value());
  const std::string name = (*pod)->id();
  CHECK(name.starts_with("cy-"));
  CHECK((*pod)->Info().phase == PodPhase::kRunning);
  CHECK((*pod)->Info().spec.labels.at("codeyard.dev/workspace") == "ws-1");

  auto client = ClientOf(fake);
  auto object = PodObject(*client, fake.ns(), name);
  REQUIRE(object.has_value());
  const json::object& labels = object->at("metadata").at("labels").as_object();
  CHECK(labels.at("app.kubernetes.io/managed-by") == "codeyard");
  CHECK(labels.at("codeyard.dev/workspace") == "ws-1");
  CHECK(labels.at("codeyard.dev/network") == "none");
  CHECK(object->at("spec").at("automountServiceAccountToken") == false);
  CHECK(object->at("status").at("phase") == "Running");

  // The home volume exists, labelled for the workspace.
  auto claim =
      client->Get(kube::Resource{"v1", "persistentvolumeclaims", fake.ns(), "cy-home-ws-1", ""});
  REQUIRE(claim.has_value());
  CHECK(claim->at("metadata").at("labels").at("codeyard.dev/workspace") == "ws-1");

  // Calls into the pod go through the exec API to the pod's agent.
  ExecSpec run;
  run.argv = {"sh", "-c", "echo $HOME; id -u"};
  auto exec = (*pod)->Exec(run);
  INFO((exec ? std::string() : exec.error().ToString()));
  REQUIRE(exec.has_value());
  std::string out;
  while (true) {
    auto chunk = (*exec)->ReadOutput(std::chrono::seconds(30));
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  CHECK((*exec)->Wait()->exit_code == 0);
  INFO(out);
  CHECK(out.starts_with("/home/codeyard\n"));
  const std::vector<FileData> files = {{"a.txt", FileKind::kFile, "through the agent", 0644, {}}};
  REQUIRE((*pod)->PutFiles(files).has_value());
  const std::vector<std::string> paths = {"a.txt"};
  auto read = (*pod)->GetFiles(paths);
  REQUIRE(read.has_value());
  CHECK(read->at(0).content == "through the agent");

  REQUIRE(executor->DeletePod(name).has_value());
  CHECK(Deleting(PodObject(*client, fake.ns(), name)));
}

TEST_CASE("k8s executor: another replica gets, lists and deletes a workspace's pod",
          "[kube][fake]") {
  KubeFake fake;
  auto first = Open(fake);
  auto second = Open(fake);
  auto pod = first->CreatePod(WorkspacePodSpec("ws-2"));
  REQUIRE(pod.has_value());
  const std::string name = (*pod)->id();

  auto reached = second->GetPod(name);
  INFO((reached ? std::string() : reached.error().ToString()));
  REQUIRE(reached.has_value());
  CHECK((*reached)->id() == name);
  // The spec comes back exactly, from the pod's annotation.
  CHECK((*reached)->Info().spec.labels == WorkspacePodSpec("ws-2").labels);
  CHECK((*reached)->Info().spec.limits.memory_bytes == uint64_t{256} << 20);
  CHECK((*reached)->Info().spec.survive_owner);
  CHECK(second->GetPod(name)->get() == reached->get());  // one object per pod per executor

  auto listed = second->ListPods({{"codeyard.dev/workspace", "ws-2"}});
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().id == name);
  CHECK(listed->front().phase == PodPhase::kRunning);
  CHECK(second->ListPods({{"codeyard.dev/workspace", "other"}})->empty());

  REQUIRE(second->DeletePod(name).has_value());
  auto after = first->ListPods({{"codeyard.dev/workspace", "ws-2"}});
  REQUIRE(after.has_value());
  for (const PodInfo& info : *after) CHECK(info.phase == PodPhase::kTerminated);
  auto gone = second->GetPod(name);
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().code() == Error::Code::kNotFound);

  auto unknown = first->DeletePod("cy-0000000000000000");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == Error::Code::kNotFound);
  CHECK(first->GetPod("cy-0000000000000000").error().code() == Error::Code::kNotFound);
}

TEST_CASE("k8s executor: the home volume outlives pods until DeleteVolumes", "[kube][fake]") {
  KubeFake fake;
  auto executor = Open(fake);
  auto client = ClientOf(fake);
  const kube::Resource claim{"v1", "persistentvolumeclaims", fake.ns(), "cy-home-ws-3", ""};
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-3"));
  REQUIRE(pod.has_value());
  const std::string uid(client->Get(claim)->at("metadata").at("uid").as_string());
  REQUIRE(executor->DeletePod((*pod)->id()).has_value());

  // A second start of the workspace finds its claim (409 counts as success) and keeps it.
  auto again = executor->CreatePod(WorkspacePodSpec("ws-3"));
  REQUIRE(again.has_value());
  CHECK(client->Get(claim)->at("metadata").at("uid").as_string() == uid);
  REQUIRE(executor->DeletePod((*again)->id()).has_value());

  REQUIRE(executor->DeleteVolumes({{"codeyard.dev/workspace", "other"}}).has_value());
  CHECK(client->Get(claim).has_value());
  REQUIRE(executor->DeleteVolumes({{"codeyard.dev/workspace", "ws-3"}}).has_value());
  auto gone = client->Get(claim);
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().code() == Error::Code::kNotFound);
  CHECK(executor->DeleteVolumes({{"codeyard.dev/workspace", "ws-3"}}).has_value());  // idempotent
}

TEST_CASE("k8s executor: a one-shot pod dies with its holder and belongs to its creator",
          "[kube][fake]") {
  KubeFake fake;
  auto client = ClientOf(fake);
  auto executor = Open(fake);
  auto other = Open(fake);
  PodSpec spec;
  spec.labels["codeyard.dev/purpose"] = "run";
  spec.limits.memory_bytes = uint64_t{128} << 20;
  auto pod = executor->CreatePod(spec);
  REQUIRE(pod.has_value());
  const std::string name = (*pod)->id();
  auto object = PodObject(*client, fake.ns(), name);
  REQUIRE(object.has_value());
  CHECK(object->at("metadata").at("labels").at("codeyard.dev/job").as_string() == name);
  CHECK(object->at("spec").at("activeDeadlineSeconds") == 3600);
  // No claim for a pod that is not a workspace's.
  CHECK(client->Get(kube::Resource{"v1", "persistentvolumeclaims", fake.ns(), "", ""})
            ->at("items")
            .as_array()
            .empty());

  auto foreign = other->GetPod(name);
  REQUIRE_FALSE(foreign.has_value());
  CHECK(foreign.error().code() == Error::Code::kFailedPrecondition);

  pod->reset();  // the last holder lets go
  CHECK(Deleting(PodObject(*client, fake.ns(), name)));

  // The executor going deletes the one-shot pods it still has handed out.
  auto held = executor->CreatePod(spec);
  REQUIRE(held.has_value());
  const std::string held_name = (*held)->id();
  executor.reset();
  CHECK(Deleting(PodObject(*client, fake.ns(), held_name)));
}

TEST_CASE("k8s executor: a pod whose container cannot run fails fast with the reason",
          "[kube][fake]") {
  KubeFake fake;
  // Far longer than the test may take: an answer means the failure was seen, not timed out.
  auto executor = Open(fake, "&pod_binary=/nonexistent/codeyard-pod&ready_timeout_s=3600");
  auto client = ClientOf(fake);
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-4"));
  REQUIRE_FALSE(pod.has_value());
  INFO(pod.error().ToString());
  CHECK(pod.error().code() == Error::Code::kFailedPrecondition);
  CHECK(pod.error().message().find("exited with 128") != std::string::npos);
  CHECK(pod.error().message().find("StartError") != std::string::npos);
  // The failed pod is not left behind.
  auto listed = executor->ListPods({{"codeyard.dev/workspace", "ws-4"}});
  REQUIRE(listed.has_value());
  for (const PodInfo& info : *listed) CHECK(info.phase == PodPhase::kTerminated);
}

TEST_CASE("k8s executor: bad URIs and specs are refused before any pod exists", "[kube][fake]") {
  KubeFake fake;
  auto bad = BackendRegistry::WithBuiltins().OpenExecutor(fake.Uri("&colour=blue"), {});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == Error::Code::kInvalidArgument);
  auto no_file = BackendRegistry::WithBuiltins().OpenExecutor(
      "k8s:?kubeconfig=/nonexistent/kubeconfig&image=x", {});
  REQUIRE_FALSE(no_file.has_value());

  auto executor = Open(fake);
  PodSpec spec;
  spec.labels["Not A Key"] = "x";
  auto refused = executor->CreatePod(spec);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kInvalidArgument);
  CHECK(executor->ListPods({})->empty());
}

TEST_CASE("k8s executor: Doctor reaches the API server and checks or skips RBAC", "[kube][fake]") {
  KubeFake fake;
  auto executor = Open(fake);
  auto checks = executor->Doctor();
  REQUIRE(checks.has_value());
  REQUIRE(checks->size() == 2);
  CHECK(checks->at(0).ok);
  CHECK(checks->at(1).name == "RBAC");
  INFO(checks->at(1).detail);
  CHECK(checks->at(1).ok);
}
