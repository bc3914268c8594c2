// The `k8s:` executor while the API server misbehaves the way a real one does, against
// codeyard-kube-fake's /fake/ faults: a restart mid-watch (connections cut, refused for a
// while, the event window gone so the old resourceVersion is 410), 429 with Retry-After, a
// token that rotates, a quota refusal and an unschedulable pod.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "codeyard/backend/registry.hpp"
#include "executor/kubernetes/kube_config.hpp"
#include "executor/kubernetes/kube_http.hpp"
#include "executor/kubernetes/kube_watch.hpp"
#include "kube/executor_fake_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
namespace json = boost::json;

namespace {

std::shared_ptr<Executor> Open(const KubeFake& fake, const std::string& extra = "") {
  auto opened = BackendRegistry::WithBuiltins().OpenExecutor(
      fake.Uri("&pod_binary=" + KubeFake::BinDir() + "/codeyard-pod" + extra), {});
  INFO((opened ? std::string() : opened.error().ToString()));
  REQUIRE(opened.has_value());
  return *opened;
}

std::shared_ptr<kube::Client> ClientOf(const KubeFake& fake) { return fake.TestClient(); }

// POSTs a /fake/ fault (they need no token) and returns the JSON answer.
json::object Fault(const KubeFake& fake, const std::string& what) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(fake.port()));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string request = "POST /fake/" + what +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  INFO("/fake/" << what << " answered: " << answer);
  REQUIRE(answer.starts_with("HTTP/1.1 200"));
  const size_t body = answer.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  return json::parse(answer.substr(body + 4)).as_object();
}

PodSpec WorkspacePodSpec(const std::string& workspace) {
  PodSpec spec;
  spec.labels["codeyard.dev/workspace"] = workspace;
  spec.labels["codeyard.dev/purpose"] = "workspace";
  spec.limits.memory_bytes = uint64_t{256} << 20;
  spec.survive_owner = true;
  return spec;
}

// Blocks until the API server has a pod of `workspace` (a watch sees it ADDED), so a fault
// can be set off while its creator waits for readiness.
void AwaitPodAdded(kube::Client& client, const KubeFake& fake, const std::string& workspace) {
  auto watch =
      client.StartWatch(kube::Resource{"v1", "pods", fake.ns(), "", ""},
                        {{"labelSelector", "codeyard.dev/workspace=" + workspace}}, "", 60);
  REQUIRE(watch.has_value());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = (*watch)->Next(std::chrono::seconds(1));
    REQUIRE(event.has_value());
    if (*event && (*event)->type == kube::WatchEvent::Type::kAdded) return;
    REQUIRE_FALSE((*watch)->ended());
  }
  FAIL("no pod was created within 60 s");
}

// Runs `echo ok` in the pod: the exec API reaches its agent.
void CheckExec(Pod& pod) {
  ExecSpec run;
  run.argv = {"echo", "ok"};
  auto exec = pod.Exec(run);
  INFO((exec ? std::string() : exec.error().ToString()));
  REQUIRE(exec.has_value());
  std::string out;
  while (true) {
    auto chunk = (*exec)->ReadOutput(std::chrono::seconds(30));
    REQUIRE(chunk.has_value());
    if (!*chunk) break;
    out += (*chunk)->data;
  }
  CHECK(out == "ok\n");
  CHECK((*exec)->Wait()->exit_code == 0);
}

// How many audited requests were `verb` on `resource` (no subresource).
// Requests of `verb` on `resource` the fake has received; with `executor_only`, only those of
// the executor (not the test's own client, which says codeyard-tests).
int Audited(const KubeFake& fake, const std::string& verb, const std::string& resource,
            bool executor_only = false) {
  std::ifstream in(fake.audit());
  int count = 0;
  for (std::string line; std::getline(in, line);) {
    const json::object o = json::parse(line).as_object();
    if (o.at("verb") == verb.c_str() && o.at("resource") == resource.c_str() &&
        o.at("subresource") == "" &&
        (!executor_only || !o.at("user_agent").as_string().starts_with("codeyard-tests"))) {
      ++count;
    }
  }
  return count;
}

// The executor's lists of pods by name (a field selector metadata.name=...), as a relist
// makes them; the pod-gone watcher's list of all its pods is not one.
int ListsByName(const KubeFake& fake) {
  std::ifstream in(fake.audit());
  int count = 0;
  for (std::string line; std::getline(in, line);) {
    const json::object o = json::parse(line).as_object();
    const json::value* selector = o.if_contains("field_selector");
    if (o.at("verb") == "list" && o.at("resource") == "pods" && selector != nullptr &&
        selector->as_string().starts_with("metadata.name=") &&
        !o.at("user_agent").as_string().starts_with("codeyard-tests")) {
      ++count;
    }
  }
  return count;
}

// Waits until the executor has opened `n` watches of pods (at most 30 s).
void AwaitExecutorWatches(const KubeFake& fake, int n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Audited(fake, "watch", "pods", true) < n) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

TEST_CASE("k8s faults: an API server restart mid readiness wait is ridden out",
          "[kube][fake][fault]") {
  KubeFake fake;
  auto executor = Open(fake);
  auto client = ClientOf(fake);
  // The pod becomes ready while the API server is away: the executor's watch is cut, its
  // reconnects are refused, and it finds the pod ready when the server is back.
  Fault(fake, "pull-delay?ms=1000");
  auto creating = std::async(std::launch::async,
                             [&] { return executor->CreatePod(WorkspacePodSpec("ws-restart")); });
  AwaitPodAdded(*client, fake, "ws-restart");
  CHECK(Fault(fake, "outage?ms=2500").at("outage_ms") == 2500);
  auto pod = creating.get();
  INFO((pod ? std::string() : pod.error().ToString()));
  REQUIRE(pod.has_value());
  CHECK((*pod)->Info().phase == PodPhase::kRunning);
  CheckExec(**pod);
  // Another replica finds it after the restart too.
  auto other = Open(fake);
  auto found = other->GetPod((*pod)->id());
  INFO((found ? std::string() : found.error().ToString()));
  REQUIRE(found.has_value());
  REQUIRE(executor->DeletePod((*pod)->id()).has_value());
}

TEST_CASE("k8s faults: a watch from before a restart gets 410 and the readiness wait relists",
          "[kube][fake][fault]") {
  KubeFake fake;
  auto executor = Open(fake);
  auto client = ClientOf(fake);
  const int watches_before = Audited(fake, "watch", "pods", true);
  // The pod must still be pulling when the restart comes: 1.5 s was once too short on a loaded
  // machine (the pod was ready before the outage, so no relist: CI, 1 run of many).
  Fault(fake, "pull-delay?ms=6000");
  auto creating = std::async(std::launch::async,
                             [&] { return executor->CreatePod(WorkspacePodSpec("ws-410")); });
  AwaitPodAdded(*client, fake, "ws-410");
  // The restart must cut the executor's readiness watch, not come before it is opened (on a
  // loaded machine it could, and then no 410 is ever seen).
  AwaitExecutorWatches(fake, watches_before + 1);
  // A write the executor's watch does not see, so its resourceVersion is older than the
  // server's at the restart. Without it, when the fake kubelet had not yet scheduled the pod,
  // the executor had seen the newest change, and a watch resumed from the newest
  // resourceVersion is valid after a restart, on a real server as on the fake: no 410, no
  // relist (CI, 1 run of many).
  REQUIRE(client
              ->Post(kube::Resource{"v1", "persistentvolumeclaims", fake.ns(), "", ""},
                     json::value{{"metadata", {{"name", "unwatched-410"}}},
                                 {"spec",
                                  {{"accessModes", json::array{"ReadWriteOnce"}},
                                   {"resources", {{"requests", {{"storage", "1Mi"}}}}}}}})
              .has_value());
  const int lists_before = ListsByName(fake);
  // A restart too short to refuse anyone: the watch is cut and its resumption from the old
  // resourceVersion meets the emptied event window.
  Fault(fake, "outage?ms=0");
  auto pod = creating.get();
  INFO((pod ? std::string() : pod.error().ToString()));
  REQUIRE(pod.has_value());
  CheckExec(**pod);
  // The relist: the pod listed afresh by name after the 410. Once, or twice when the cut of
  // the connections reaches the relist's own list or watch (the 410 goes out first); never a
  // loop, as when a relist watched from the pod's own resourceVersion (older than the window:
  // the pod did not change while its image was pulled) and met 410 again and again.
  const int relists = ListsByName(fake) - lists_before;
  CHECK(relists >= 1);
  CHECK(relists <= 2);

  // ListWatch, used by watchers that follow many pods, relists the same way and sees the
  // pod across a restart.
  std::atomic<int> lists{0};
  std::atomic<bool> saw_ours{false};
  const std::string name = (*pod)->id();
  std::promise<void> first_list;
  auto listed_once = first_list.get_future();
  auto watching = std::async(std::launch::async, [&] {
    return kube::ListWatch(
        *client, kube::Resource{"v1", "pods", fake.ns(), "", ""}, {},
        kube::ListWatchHandlers{[&](const json::value& list) {
                                  if (++lists == 1) first_list.set_value();
                                  for (const auto& item : list.at("items").as_array()) {
                                    if (item.at("metadata").at("name") == name.c_str())
                                      saw_ours = true;
                                  }
                                },
                                [](const kube::WatchEvent&) {}, [&] { return lists < 2; },
                                std::chrono::milliseconds(200)});
  });
  // Wait for the first list, then restart: the second list is the relist.
  REQUIRE(listed_once.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  Fault(fake, "outage?ms=500");
  REQUIRE(watching.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  auto ended = watching.get();
  INFO((ended ? std::string() : ended.error().ToString()));
  CHECK(ended.has_value());
  CHECK(lists == 2);
  CHECK(saw_ours);
  REQUIRE(executor->DeletePod(name).has_value());
}

TEST_CASE("k8s faults: 429 with Retry-After is waited out as told, or fails naming the server",
          "[kube][fake][fault]") {
  KubeFake fake;
  auto executor = Open(fake);
  // Two refusals of the creates (the home claim's, then the pod's or the claim's again),
  // each telling the client to wait 1 s. Other executors' watches are not singled out.
  Fault(fake, "throttle?count=2&retry_after=1&verb=create");
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-429"));
  INFO((pod ? std::string() : pod.error().ToString()));
  REQUIRE(pod.has_value());
  json::object stats = Fault(fake, "throttle-stats");
  CHECK(stats.at("left") == 0);
  CHECK(stats.at("early_retries") == 0);  // no create came before its Retry-After

  // A get from another replica (which holds nothing) is throttled the same way.
  auto other = Open(fake);
  Fault(fake, "throttle?count=2&retry_after=1&verb=get");
  auto found = other->GetPod((*pod)->id());
  INFO((found ? std::string() : found.error().ToString()));
  REQUIRE(found.has_value());
  stats = Fault(fake, "throttle-stats");
  CHECK(stats.at("left") == 0);
  CHECK(stats.at("early_retries") == 0);

  // The readiness watch refused with 429: watched again only after its Retry-After (the pod
  // still pulling its image, so the wait must watch again).
  auto fresh = Open(fake);
  Fault(fake, "pull-delay?ms=2000");
  Fault(fake, "throttle?count=1&retry_after=1&verb=watch");
  auto watched = fresh->CreatePod(WorkspacePodSpec("ws-429-watch"));
  INFO((watched ? std::string() : watched.error().ToString()));
  REQUIRE(watched.has_value());
  stats = Fault(fake, "throttle-stats");
  CHECK(stats.at("left") == 0);
  CHECK(stats.at("early_retries") == 0);
  Fault(fake, "throttle?count=0");
  Fault(fake, "pull-delay?ms=0");
  REQUIRE(fresh->DeletePod((*watched)->id()).has_value());

  // Told to come back after the call's deadline: kUnavailable at once, naming the API server.
  auto third = Open(fake);
  Fault(fake, "throttle?count=1000&retry_after=600&verb=get");
  auto refused = third->GetPod((*pod)->id());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kUnavailable);
  CHECK_THAT(refused.error().message(), Catch::Contains("the API server at " + fake.BaseUrl()) &&
                                            Catch::Contains("Too many requests"));
  Fault(fake, "throttle?count=0");
  REQUIRE(executor->DeletePod((*pod)->id()).has_value());
}

TEST_CASE("k8s faults: a rotated token is picked up with no error surfacing",
          "[kube][fake][fault]") {
  KubeFake fake("codeyard-workspaces", {"--token-file", "{dir}/token"});
  // The file exists from here on, and the old token is refused from each rotation on.
  CHECK(Fault(fake, "rotate-token?token=first").at("token") == "first");
  auto executor = Open(fake);
  auto client = ClientOf(fake);
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-token"));
  INFO((pod ? std::string() : pod.error().ToString()));
  REQUIRE(pod.has_value());
  CheckExec(**pod);

  Fault(fake, "rotate-token?token=second");
  // Exec (a new WebSocket), list, get from another replica, files: all on the new token.
  CheckExec(**pod);
  auto listed = executor->ListPods({});
  INFO((listed ? std::string() : listed.error().ToString()));
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 1);
  const std::vector<FileData> files = {{"t.txt", FileKind::kFile, "rotated", 0644, {}}};
  REQUIRE((*pod)->PutFiles(files).has_value());

  // Rotated while a readiness wait watches: the resumed watch is refused with 401 once,
  // and the executor goes on with the token it then reads.
  Fault(fake, "pull-delay?ms=1000");
  auto creating = std::async(std::launch::async,
                             [&] { return executor->CreatePod(WorkspacePodSpec("ws-token-2")); });
  AwaitPodAdded(*client, fake, "ws-token-2");
  Fault(fake, "rotate-token?token=third");
  Fault(fake, "outage?ms=0");
  auto second = creating.get();
  INFO((second ? std::string() : second.error().ToString()));
  REQUIRE(second.has_value());
  CheckExec(**second);
  REQUIRE(executor->DeletePod((*second)->id()).has_value());
  REQUIRE(executor->DeletePod((*pod)->id()).has_value());
}

TEST_CASE("k8s faults: a quota refusal fails fast with kResourceExhausted", "[kube][fake][fault]") {
  KubeFake fake;
  auto executor = Open(fake);
  Fault(fake, "quota?count=1");
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-quota"));
  REQUIRE_FALSE(pod.has_value());
  CHECK(pod.error().code() == Error::Code::kResourceExhausted);
  CHECK_THAT(pod.error().message(),
             Catch::Contains("creating pod") && Catch::Contains("exceeded quota"));
  auto listed = executor->ListPods({});
  REQUIRE(listed.has_value());
  CHECK(listed->empty());
  // The next one fits.
  auto next = executor->CreatePod(WorkspacePodSpec("ws-quota"));
  INFO((next ? std::string() : next.error().ToString()));
  REQUIRE(next.has_value());
  REQUIRE(executor->DeletePod((*next)->id()).has_value());
}

TEST_CASE("k8s faults: an unschedulable pod fails after the budget with the scheduler's words",
          "[kube][fake][fault]") {
  KubeFake fake;
  auto executor = Open(fake, "&unschedulable_s=1&ready_timeout_s=60");
  auto client = ClientOf(fake);
  Fault(fake, "unschedulable?count=1");
  auto pod = executor->CreatePod(WorkspacePodSpec("ws-unsched"));
  REQUIRE_FALSE(pod.has_value());
  CHECK(pod.error().code() == Error::Code::kResourceExhausted);
  CHECK_THAT(pod.error().message(), Catch::Contains("cannot be scheduled (Unschedulable)") &&
                                        Catch::Contains("Insufficient memory") &&
                                        Catch::Contains("(for 1 s)"));
  // The scheduler's event is there, as kubectl describe shows it.
  auto events = client->Get(kube::Resource{"v1", "events", fake.ns(), "", ""});
  REQUIRE(events.has_value());
  bool failed_scheduling = false;
  for (const auto& e : events->at("items").as_array()) {
    if (e.at("reason") == "FailedScheduling") failed_scheduling = true;
  }
  CHECK(failed_scheduling);
  // The pod that could not be placed is deleted, and goes at once (it never had a node).
  auto watch = client->StartWatch(kube::Resource{"v1", "pods", fake.ns(), "", ""}, {}, "", 30);
  REQUIRE(watch.has_value());
  int live = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (live != 0 && std::chrono::steady_clock::now() < deadline) {
    auto listed = client->Get(kube::Resource{"v1", "pods", fake.ns(), "", ""});
    REQUIRE(listed.has_value());
    live = static_cast<int>(listed->at("items").as_array().size());
    if (live != 0) (void)(*watch)->Next(std::chrono::seconds(1));  // until a change
  }
  CHECK(live == 0);
  // The next pod is scheduled as usual.
  auto next = executor->CreatePod(WorkspacePodSpec("ws-unsched"));
  INFO((next ? std::string() : next.error().ToString()));
  REQUIRE(next.has_value());
  REQUIRE(executor->DeletePod((*next)->id()).has_value());
}
