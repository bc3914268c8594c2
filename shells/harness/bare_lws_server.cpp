#include "bare_lws_server.hpp"

#include <libwebsockets.h>
#include <pthread.h>
#include <time.h>

#include <array>
#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>

namespace codeyard::bench {
namespace {

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  const std::size_t body_len = std::strlen(BareLwsServer::kBody);
  switch (reason) {
    case LWS_CALLBACK_HTTP: {
      std::array<unsigned char, LWS_PRE + 512> buf{};
      unsigned char* start = buf.data() + LWS_PRE;
      unsigned char* p = start;
      unsigned char* end = buf.data() + buf.size() - 1;
      if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", body_len, &p, end) !=
              0 ||
          lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
        return 1;
      }
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      std::array<unsigned char, LWS_PRE + 64> buf{};
      std::memcpy(buf.data() + LWS_PRE, BareLwsServer::kBody, body_len);
      if (lws_write(wsi, buf.data() + LWS_PRE, body_len, LWS_WRITE_HTTP_FINAL) !=
          static_cast<int>(body_len)) {
        return 1;
      }
      return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
    }
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const std::array<lws_protocols, 2> kProtocols = {
    lws_protocols{"http", Callback, 0, 0, 0, nullptr, 0},
    lws_protocols{nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

BareLwsServer::~BareLwsServer() { Stop(); }

int BareLwsServer::Start() {
  std::promise<int> port;
  std::future<int> started = port.get_future();
  thread_ = std::thread([this, p = std::move(port)]() mutable {
    lws_set_log_level(LLL_ERR, nullptr);
    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.port = CONTEXT_PORT_NO_LISTEN;
    lws_context* ctx = lws_create_context(&info);
    if (ctx == nullptr) {
      p.set_value(-1);
      return;
    }
    lws_context_creation_info vinfo{};
    vinfo.vhost_name = "bare";
    vinfo.port = 0;
    vinfo.iface = "127.0.0.1";
    vinfo.protocols = kProtocols.data();
    vinfo.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_DISABLE_IPV6;
    lws_vhost* vhost = lws_create_vhost(ctx, &vinfo);
    if (vhost == nullptr) {
      lws_context_destroy(ctx);
      p.set_value(-1);
      return;
    }
    {
      const std::lock_guard lock(mu_);
      ctx_ = ctx;
    }
    p.set_value(lws_get_vhost_listen_port(vhost));
    while (!stop_.load() && lws_service(ctx, 0) >= 0) {
    }
    {
      const std::lock_guard lock(mu_);
      ctx_ = nullptr;
    }
    lws_context_destroy(ctx);
  });
  const int bound = started.get();
  if (bound <= 0) {
    thread_.join();
    throw std::runtime_error("the bare libwebsockets server could not start");
  }
  return bound;
}

double BareLwsServer::CpuSeconds() {
  clockid_t clock{};
  timespec ts{};
  if (!thread_.joinable() || pthread_getcpuclockid(thread_.native_handle(), &clock) != 0 ||
      clock_gettime(clock, &ts) != 0) {
    return 0;
  }
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void BareLwsServer::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  // The loop may be inside lws_service; wake it until it has seen the flag.
  for (;;) {
    {
      const std::lock_guard lock(mu_);
      if (ctx_ == nullptr) break;
      lws_cancel_service(ctx_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  thread_.join();
}

}  // namespace codeyard::bench
