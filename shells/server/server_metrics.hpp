// The server's own metrics, registered on Services::metrics: HTTP request counts and latency
// by route pattern (fed by the observer this returns, which main installs as
// HttpServerOptions::on_request_done), and callback gauges and counters that read the
// services at scrape time (workspaces, pods, the warm pool, sync). The full list with help
// texts is in docs/api.md ("Metrics"). Other components add theirs on the same registry.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "codeyard/terminals.hpp"
#include "http_server.hpp"
#include "services.hpp"

namespace codeyard::server {

// Registers every codeyard_* metric the server shell owns. `start_unix_seconds` is the
// process start time for codeyard_process_start_time_seconds. The returned observer updates
// codeyard_http_requests_total and codeyard_http_request_duration_seconds; it is cheap and
// thread-safe. Call once per Services. When `on_connection_refused` is given, it is set to an
// observer for HttpServerOptions::on_connection_refused that counts a connection refused at
// accept in codeyard_limit_refusals_total{limit}.
[[nodiscard]] std::function<void(const RequestDone&)> InstallServerMetrics(
    Services& services, double start_unix_seconds,
    std::function<void(std::string_view)>* on_connection_refused = nullptr);

// The terminal metrics, read from `terminals` at scrape time: open terminal connections,
// running shells, and output bytes. `terminals` must outlive scraping (the server).
void InstallTerminalMetrics(Services& services, const Terminals& terminals);

// mon20: what the alerting rules in k8s/monitoring/ watch and nothing else exports: storage
// answering (a Platform::Ping per scrape), the file system of `data_dir` (statvfs per
// scrape), this replica's lease heartbeat, failed pod creations and seccomp kills.
void InstallHealthMetrics(Services& services, const std::string& data_dir);

}  // namespace codeyard::server
