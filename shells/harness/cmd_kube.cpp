// `codeyard-bench kube [--iterations N] [--fake PATH] [--pod-binary PATH]`: the `k8s:`
// executor against codeyard-kube-fake (started here, on loopback) next to the local backend,
// in the same run: pod creation to ready, reaching a pod from a second executor (another
// replica), an exec round trip (`true`) and a terminal keystroke's echo over the exec API.
// Prints p50/p95 of each and k8s/local ratios. Measured against the fake: its pods are local
// sandbox pods, so the ratios are the API's and the exec stream's overhead, not a real
// cluster's scheduling and image pulls.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "bench_pods.hpp"
#include "bench_util.hpp"
#include "child_process.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "commands.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

// Keystroke echo in a terminal session running `cat` on a tty: one byte typed, until its
// echo is read. nullopt when the backend has no sessions.
std::optional<bool> Echo(Pod& pod, Samples& samples, int keys) {
  ExecSpec spec;
  spec.argv = {"cat"};
  spec.tty = true;
  spec.stdin_open = true;
  auto attached = pod.OpenSession("bench", spec);
  if (!attached && attached.error().code() == Error::Code::kUnimplemented) return std::nullopt;
  if (!attached) throw BenchFailed(kExitFailed, "open session: " + attached.error().ToString());
  Process& process = *attached->process;
  for (int k = 0; k < keys; ++k) {
    const char key = static_cast<char>('a' + k % 26);
    const auto start = std::chrono::steady_clock::now();
    if (auto typed = process.WriteStdin(std::string_view(&key, 1)); !typed) {
      throw BenchFailed(kExitFailed, "type: " + typed.error().ToString());
    }
    while (true) {
      auto chunk = Must(process.ReadOutput(std::chrono::seconds(10)), "read echo");
      if (!chunk) throw BenchFailed(kExitFailed, "the session ended");
      if (chunk->data.find(key) != std::string::npos) break;
    }
    samples.Add(std::chrono::steady_clock::now() - start);
  }
  (void)process.Signal(9);
  return true;
}

struct Row {
  Samples local, kube;
  bool measured = true;
};

void Print(const char* name, Row& row) {
  if (!row.measured) {
    std::printf("%-34s %s\n", name, "n/a: this build's k8s: pods cannot exec (no agent client)");
    return;
  }
  const Summary l = row.local.Summarize();
  const Summary k = row.kube.Summarize();
  const auto ratio = [](int64_t a, int64_t b) {
    return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  std::printf("%-34s %9.2f %9.2f %9.2f %9.2f %8.2fx %8.2fx\n", name, Ms(l.p50_ns), Ms(l.p95_ns),
              Ms(k.p50_ns), Ms(k.p95_ns), ratio(k.p50_ns, l.p50_ns), ratio(k.p95_ns, l.p95_ns));
}

void RunKubeBench(int iterations, std::string fake, const std::string& pod_binary) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("cy-bench-kube-" + NewUuid());
  fs::create_directories(dir);
  if (fake.empty()) fake = (fs::canonical("/proc/self/exe").parent_path() / "codeyard-kube-fake");
  const std::string kubeconfig = (dir / "kubeconfig").string();
  ChildProcess server(
      std::vector<std::string>{fake, "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig,
                               "--state", (dir / "state").string(), "--namespace", "bench"},
      EnvironmentWithoutCodeyard(), (dir / "fake.log").string());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(kubeconfig)) {
    if (!server.Running() || std::chrono::steady_clock::now() > deadline) {
      throw BenchFailed(kExitFailed,
                        "codeyard-kube-fake did not start; see " + (dir / "fake.log").string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto registry = BackendRegistry::WithBuiltins();
  const std::string kube_uri =
      "k8s:?kubeconfig=" + kubeconfig + "&namespace=bench&image=bench:1&pod_binary=" + pod_binary;
  const std::string local_uri = "local:?state_dir=" + (dir / "local").string();
  auto kube = Must(registry.OpenExecutor(kube_uri, {}), "open k8s executor");
  auto kube_other = Must(registry.OpenExecutor(kube_uri, {}), "open a second k8s executor");
  auto local = Must(registry.OpenExecutor(local_uri, {}), "open local executor");
  auto local_other = Must(registry.OpenExecutor(local_uri, {}), "open a second local executor");

  Row create, reach, exec, echo;
  // Interleaved, so a busy neighbour weighs on both sides alike.
  for (int i = 0; i < iterations; ++i) {
    for (const bool k8s : {false, true}) {
      Executor& executor = k8s ? *kube : *local;
      Executor& other = k8s ? *kube_other : *local_other;
      auto pod = Timed(k8s ? create.kube : create.local, [&] {
        return Must(executor.CreatePod(WorkspaceLikeSpec("kube")), "create pod");
      });
      auto reached = Timed(k8s ? reach.kube : reach.local,
                           [&] { return Must(other.GetPod(pod->id()), "get pod"); });
      for (int e = 0; e < 5 && exec.measured; ++e) {
        const auto start = std::chrono::steady_clock::now();
        if (!ExecTrue(*reached)) {
          exec.measured = false;
          break;
        }
        (k8s ? exec.kube : exec.local).Add(std::chrono::steady_clock::now() - start);
      }
      if (echo.measured && !Echo(*reached, k8s ? echo.kube : echo.local, 20)) {
        echo.measured = false;
      }
      const std::string id = pod->id();
      reached.reset();
      pod.reset();
      (void)executor.DeletePod(id);
    }
  }
  // Whatever a failed iteration left.
  for (Executor* e : {kube.get(), local.get()}) {
    if (auto left = e->ListPods({{"bench", "kube"}})) {
      for (const PodInfo& info : *left) (void)e->DeletePod(info.id);
    }
  }
  kube.reset();
  kube_other.reset();
  local.reset();
  local_other.reset();
  server.Stop();
  std::error_code ec;
  fs::remove_all(dir, ec);

  std::printf("codeyard-bench kube: %d iterations, %u cores, measured against the fake\n",
              iterations, std::thread::hardware_concurrency());
  std::printf("%-34s %9s %9s %9s %9s %9s %9s\n", "latency (ms)", "local p50", "local p95",
              "k8s p50", "k8s p95", "p50 ratio", "p95 ratio");
  Print("create pod to ready", create);
  Print("reach pod (GetPod, 2nd executor)", reach);
  Print("exec round trip (true)", exec);
  Print("terminal keystroke echo", echo);
}

}  // namespace

void AddKubeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "kube", "the k8s: executor against codeyard-kube-fake, next to the local backend");
  auto iterations = std::make_shared<int>(10);
  auto fake = std::make_shared<std::string>();
  auto pod_binary = std::make_shared<std::string>();
  cmd->add_option("--iterations", *iterations, "samples of each")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--fake", *fake, "codeyard-kube-fake (default: beside this program)");
  cmd->add_option("--pod-binary", *pod_binary,
                  "the pods' init (default: codeyard-pod beside this program)");
  cmd->callback([iterations, fake, pod_binary] {
    std::string binary = *pod_binary;
    if (binary.empty()) {
      binary =
          (std::filesystem::canonical("/proc/self/exe").parent_path() / "codeyard-pod").string();
    }
    RunKubeBench(*iterations, *fake, binary);
  });
}

}  // namespace codeyard::bench
