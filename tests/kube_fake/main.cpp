// codeyard-kube-fake: a fake Kubernetes API server for tests (see README.md beside this file).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "codeyard/backend/registry.hpp"
#include "codeyard/id.hpp"
#include "server.hpp"

using namespace codeyard::kubefake;

namespace {

std::atomic<bool> g_stop{false};
int g_wake_fd = -1;  // the server's eventfd: the accept loop waits on it with no timeout

void OnSignal(int) {
  g_stop = true;
  const uint64_t one = 1;
  (void)!::write(g_wake_fd, &one, sizeof one);  // async-signal-safe
}

int Usage(const std::string& why) {
  std::cerr << "codeyard-kube-fake: " << why
            << "\nusage: codeyard-kube-fake --listen 127.0.0.1:PORT --kubeconfig-out FILE [--tls]"
               " [--token T | --token-file F] [--audit-out FILE] [--state DIR] [--namespace NS]..."
               " [--deny VERB:RESOURCE[/SUB]]... [--ro-bind DIR]...\n";
  return 2;
}

std::string Kubeconfig(const Options& o, const std::string& ca_pem, const std::string& token) {
  const std::string scheme = o.tls ? "https" : "http";
  std::string out =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: codeyard-kube-fake\n"
      "  cluster:\n    server: " +
      scheme + "://127.0.0.1:" + std::to_string(o.port) + "\n";
  if (o.tls) out += "    certificate-authority-data: " + Base64(ca_pem) + "\n";
  out += "users:\n- name: codeyard-kube-fake\n  user:";
  if (!o.token_file.empty()) {
    out += "\n    tokenFile: " + o.token_file + "\n";
  } else if (!token.empty()) {
    out += "\n    token: " + token + "\n";
  } else {
    out += " {}\n";
  }
  out +=
      "contexts:\n- name: codeyard-kube-fake\n  context:\n    cluster: codeyard-kube-fake\n"
      "    user: codeyard-kube-fake\n    namespace: " +
      o.namespaces.front() + "\ncurrent-context: codeyard-kube-fake\npreferences: {}\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string listen;
  std::string ro_binds;  // "&ro_bind=DIR" for each --ro-bind
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::exit(Usage(arg + " needs a value"));
      }
      return argv[++i];
    };
    if (arg == "--listen") {
      listen = value();
    } else if (arg == "--kubeconfig-out") {
      options.kubeconfig_out = value();
    } else if (arg == "--tls") {
      options.tls = true;
    } else if (arg == "--token") {
      options.token = value();
    } else if (arg == "--token-file") {
      options.token_file = std::filesystem::absolute(value()).string();
    } else if (arg == "--audit-out") {
      options.audit_out = value();
    } else if (arg == "--state") {
      options.state_dir = std::filesystem::absolute(value()).string();
    } else if (arg == "--namespace") {
      options.namespaces.push_back(value());
    } else if (arg == "--deny") {
      options.deny.insert(value());
    } else if (arg == "--ro-bind") {
      // k18: a directory bound read-only into every pod beside this program's, so a test
      // can name a program of its own (a hostile init) as the executor's pod_binary.
      ro_binds += "&ro_bind=" + value();
    } else {
      return Usage("unknown argument " + arg);
    }
  }
  if (listen.empty() || options.kubeconfig_out.empty()) {
    return Usage("--listen and --kubeconfig-out are required");
  }
  if (!options.token.empty() && !options.token_file.empty()) {
    return Usage("--token and --token-file exclude each other");
  }
  if (options.namespaces.empty()) options.namespaces.push_back("default");
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Usage("--listen wants HOST:PORT");
  options.listen_host = listen.substr(0, colon);
  options.port = std::atoi(listen.substr(colon + 1).c_str());
  // kubectl sends a token only over TLS, so --tls always has one.
  if (options.tls && options.token.empty() && options.token_file.empty()) {
    options.token = codeyard::NewUuid();
  }
  if (options.state_dir.empty()) {
    options.state_dir =
        (std::filesystem::temp_directory_path() / ("kube-fake-" + codeyard::NewUuid().substr(0, 8)))
            .string();
  }
  std::filesystem::create_directories(options.state_dir + "/pods");

  std::optional<Tls> tls;
  if (options.tls) {
    tls = MakeTls();
    if (!tls) {
      std::cerr << "codeyard-kube-fake: cannot make the TLS certificate\n";
      return 1;
    }
  }

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (inet_pton(AF_INET, options.listen_host.c_str(), &addr.sin_addr) != 1) {
    return Usage("--listen wants an IPv4 address");
  }
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 128) != 0) {
    std::cerr << "codeyard-kube-fake: cannot listen on " << listen << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  options.port = ntohs(addr.sin_port);

  // Pods run as local sandbox pods; the directory holding this program (and codeyard-pod)
  // is bound read-only into each, so a pod can run `<build>/bin/codeyard-pod container`.
  const std::string self_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
  auto executor = codeyard::BackendRegistry::WithBuiltins().OpenExecutor(
      "local:?state_dir=" + options.state_dir + "/pods&ro_bind=" + self_dir + ro_binds,
      codeyard::BackendContext{});
  if (!executor) {
    std::cerr << "codeyard-kube-fake: " << executor.error().ToString() << "\n";
    return 1;
  }

  Store store(options.state_dir + "/objects.json");
  // Pods that ran under a previous fake died with it: they are marked Failed, not reattached.
  for (const auto& pod : store.Load()) {
    const std::string ns = FieldValue(pod, "metadata.namespace");
    const std::string name = FieldValue(pod, "metadata.name");
    if (!FieldValue(pod, "metadata.deletionTimestamp").empty()) {
      (void)store.Remove("pods", ns, name);
      continue;
    }
    (void)store.Update("pods", ns, name, [](json::object& o) {
      auto& status = o["status"].as_object();
      status["phase"] = "Failed";
      status["reason"] = "NodeRestarted";
      status["message"] = "the fake API server restarted; the pod's processes ended with it";
      return true;
    });
  }
  for (const auto& ns : options.namespaces) {
    if (store.NamespaceExists(ns)) continue;
    json::object o{{"kind", "Namespace"},
                   {"apiVersion", "v1"},
                   {"metadata", {{"name", ns}, {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                   {"status", {{"phase", "Active"}}}};
    (void)store.Create("namespaces", o);
  }

  auto kubelet = std::make_unique<Kubelet>(store, *executor);
  Server server(options, store, *kubelet);
  {
    std::ofstream out(options.kubeconfig_out + ".tmp", std::ios::trunc);
    out << Kubeconfig(options, tls ? tls->cert_pem : "", server.Token());
  }
  std::filesystem::rename(options.kubeconfig_out + ".tmp", options.kubeconfig_out);

  g_wake_fd = server.wake_fd();
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::cout << options.port << std::endl;

  int listener_fd = listener;
  while (!g_stop) {
    if (server.OutageLeft().count() > 0) {
      // A restarting API server: connections are refused until it is back on the same port.
      ::close(listener_fd);
      server.WaitOutageEnd();
      listener_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      setsockopt(listener_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(listener_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          ::listen(listener_fd, 128) != 0) {
        std::cerr << "codeyard-kube-fake: cannot listen again after the outage: "
                  << std::strerror(errno) << "\n";
        break;
      }
      continue;
    }
    // Woken by a connection, or by the eventfd (a signal, an outage beginning).
    pollfd p[2] = {{listener_fd, POLLIN, 0}, {server.wake_fd(), POLLIN, 0}};
    if (::poll(p, 2, -1) <= 0) continue;
    if (p[1].revents & POLLIN) {
      uint64_t drained = 0;
      (void)!::read(server.wake_fd(), &drained, sizeof drained);
      continue;  // the loop's top sees g_stop or the outage
    }
    if (!(p[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listener_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ::setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    SSL* ssl = nullptr;
    if (tls) {
      ssl = SSL_new(tls->ctx);
      SSL_set_fd(ssl, fd);
    }
    std::thread([&server, conn = std::make_unique<Conn>(fd, ssl)]() mutable {
      server.Serve(std::move(conn));
    }).detach();
  }
  ::close(listener_fd);
  store.WakeAll();
  kubelet.reset();  // ends every pod
  std::_Exit(0);    // connection threads may still wait on their sockets
}
