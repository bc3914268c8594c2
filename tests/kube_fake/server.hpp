// The fake API server's request handling: authentication, faults, the audit log, RBAC-style
// denials, discovery, the REST verbs on pods, persistentvolumeclaims, events and namespaces
// (with watch and Table output), pod logs and exec over WebSocket, and the /fake/ control
// endpoints. Test code only. Threading: Serve runs on each connection's own thread; the
// shared state (store, kubelet, token, faults, audit file) is guarded inside.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kubelet.hpp"
#include "net.hpp"
#include "store.hpp"

namespace codeyard::kubefake {

struct Options {
  std::string listen_host = "127.0.0.1";
  int port = 0;
  std::string kubeconfig_out;
  bool tls = false;
  std::string token;
  std::string token_file;
  std::string audit_out;
  std::string state_dir;
  std::vector<std::string> namespaces;
  std::set<std::string> deny;  // "create:pods", "get:pods/exec"
};

// Who a request names, in RBAC terms (the audit line and --deny use it).
struct Target {
  std::string verb;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  bool collection = false;
};

class Server {
 public:
  Server(Options options, Store& store, Kubelet& kubelet);

  // Serves one connection until it closes (keep-alive: many requests).
  void Serve(std::unique_ptr<Conn> conn);
  std::string Token();

 private:
  // Returns false when the connection must close (a stream ended it, or an upgrade).
  bool Handle(Conn& conn, Request& req);
  bool Control(Conn& conn, const Request& req);
  bool Send(Conn& conn, const Response& response);
  bool SendError(Conn& conn, const ApiError& error);
  bool SendJson(Conn& conn, int code, const json::value& body);
  void Audit(const Target& target, const std::string& path);

  bool Discovery(Conn& conn, const Request& req, const std::vector<std::string>& parts);
  bool Resource(Conn& conn, Request& req, const Target& t);
  bool ListOrWatch(Conn& conn, const Request& req, const Target& t);
  bool Watch(Conn& conn, const Request& req, const Target& t);
  bool CreateObject(Conn& conn, const Request& req, const Target& t);
  bool DeleteObject(Conn& conn, const Request& req, const Target& t);
  bool PatchObject(Conn& conn, const Request& req, const Target& t);
  bool Logs(Conn& conn, const Request& req, const Target& t);
  bool Exec(Conn& conn, const Request& req, const Target& t);

  Options options_;
  Store& store_;
  Kubelet& kubelet_;
  std::mutex mu_;  // token_, throttle_, audit
  std::string token_;
  int throttle_left_ = 0;
  int throttle_retry_after_ = 1;
};

// Validation and defaults of a new object; an error when it is not acceptable.
std::optional<ApiError> PreparePod(json::object& pod);
std::optional<ApiError> PreparePvc(json::object& pvc);
// meta.k8s.io/v1 Table of objects (pods get kubectl's columns).
json::object MakeTable(const std::string& resource, const std::vector<json::object>& objects,
                       uint64_t rv, bool include_object);
// The exec WebSocket session after the 101 answer.
void RunExecSession(Conn& conn, Pod& pod, const ExecSpec& spec, const std::string& protocol,
                    bool want_stdout, bool want_stderr);

}  // namespace codeyard::kubefake
