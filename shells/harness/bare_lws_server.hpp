// The baseline of `codeyard-bench http`: the least an HTTP server on libwebsockets can do. One
// service thread, one vhost on a loopback port, and a callback that answers every request with
// a fixed 200 JSON body (the bytes /api/v1/health returns) in the lws minimal-example way:
// headers in LWS_CALLBACK_HTTP, the body in the first WRITEABLE callback, keep-alive kept.
// Same lws library as codeyard-server, so the ratio is the cost of everything codeyard-server
// adds: the worker pool hand-off, routing, auth, storage, headers, logs and metrics.
// Start and Stop from one thread; not restartable.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

struct lws_context;

namespace codeyard::bench {

class BareLwsServer {
 public:
  BareLwsServer() = default;
  BareLwsServer(const BareLwsServer&) = delete;
  BareLwsServer& operator=(const BareLwsServer&) = delete;
  ~BareLwsServer();  // Stop()

  // Listens on 127.0.0.1 at a port the kernel picks and serves on a thread of its own.
  // Returns the port; throws std::runtime_error if lws cannot start.
  int Start();
  void Stop();

  // CPU time its serving thread has used so far (user + system), in seconds.
  [[nodiscard]] double CpuSeconds();

  static constexpr const char* kBody = R"({"status":"ok"})";

 private:
  std::mutex mu_;  // guards ctx_: Stop wakes the loop while the loop may be ending
  lws_context* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace codeyard::bench
