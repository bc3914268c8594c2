// The fake API server's request handling: authentication, faults, the audit log, RBAC-style
// denials, discovery, the REST verbs on pods, persistentvolumeclaims, events and namespaces
// (with watch and Table output), pod logs and exec over WebSocket, and the /fake/ control
// endpoints. Test code only. Threading: Serve runs on each connection's own thread; the
// shared state (store, kubelet, token, faults, audit file) is guarded inside.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
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

  // An API server restart (/fake/outage): every open connection is cut, the listener is
  // closed (connections are refused) until the outage ends, and the event window is dropped
  // (a restarted server's watch cache starts at the current version: older watches get 410).
  // Pods run on, as under a real kubelet. main() polls wake_fd() beside the listener, and
  // closes the listener while OutageLeft() is positive, then waits in WaitOutageEnd.
  [[nodiscard]] int wake_fd() const { return wake_fd_; }
  [[nodiscard]] std::chrono::milliseconds OutageLeft();
  void WaitOutageEnd();

 private:
  // Returns false when the connection must close (a stream ended it, or an upgrade).
  bool Handle(Conn& conn, Request& req);
  bool Control(Conn& conn, const Request& req);
  bool Register(Conn* conn);
  void Unregister(Conn* conn);
  void BeginOutage(Conn* except, std::chrono::milliseconds length);
  bool Send(Conn& conn, const Response& response);
  bool SendError(Conn& conn, const ApiError& error);
  bool SendJson(Conn& conn, int code, const json::value& body);
  void Audit(const Target& target, const std::string& path, const std::string& user_agent,
             const std::string& field_selector);

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
  std::string throttle_verb_;  // only requests of this verb ("" for all), as a flow schema
                               // of API Priority and Fairness singles some out
  // When each refused request (method, path, selectors) may come back: a retry of the same request
  // before then is early. Other requests in between (another thread's exec, a watch) are not
  // retries of it.
  std::map<std::string, std::chrono::steady_clock::time_point> retry_not_before_;
  int early_retries_ = 0;  // retries that came before their Retry-After
  int quota_left_ = 0;     // pod creates refused with a quota 403

  std::mutex conns_mu_;  // conns_, outage_until_
  std::condition_variable outage_cv_;
  std::set<Conn*> conns_;
  std::chrono::steady_clock::time_point outage_until_{};
  int wake_fd_ = -1;  // an eventfd: an outage began
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
