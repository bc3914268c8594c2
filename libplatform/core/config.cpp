#include "codeyard/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include <boost/json.hpp>

extern char** environ;  // NOLINT: POSIX

namespace codeyard {
namespace {

namespace json = boost::json;

using Setter = std::function<Result<void>(Config&, std::string_view)>;

// One key of the table below. `description` is the key's whole meaning, in Markdown (`code`,
// links relative to docs/): `codeyard config --keys --markdown` prints the table, and
// scripts/gen-docs writes it into docs/configuration.md (a test compares the two).
struct KeySpec {
  std::string_view name;
  std::string_view description;
  std::string_view default_value;
  Setter set;
};

Error Invalid(std::string why) { return Error(Error::Code::kInvalidArgument, std::move(why)); }

Result<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Fail(Invalid("expected an integer, got \"" + std::string(text) + "\""));
  }
  if (value < min || value > max) {
    return Fail(Invalid("expected an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got " + std::string(text)));
  }
  return value;
}

Result<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return Fail(Invalid("expected true or false, got \"" + std::string(text) + "\""));
}

Result<void> SetListen(Config& c, std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(Invalid("expected host:port, got \"" + std::string(text) + "\""));
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:8080
  }
  auto port = ParseInt(text.substr(colon + 1), 1, 65535);
  if (!port) return Fail(port.error().WithContext("port"));
  c.listen_host = std::string(host);
  c.listen_port = static_cast<int>(*port);
  return {};
}

// A setter for an integer key stored in `field`, accepting [min, max].
Setter IntSetter(int64_t Config::*field, int64_t min, int64_t max) {
  return [field, min, max](Config& c, std::string_view v) -> Result<void> {
    auto n = ParseInt(v, min, max);
    if (!n) return Fail(n.error());
    c.*field = *n;
    return {};
  };
}

// One web origin as browsers send it in the Origin header: "http" or "https", "://", a host
// (a name, an IPv4 address or a bracketed IPv6 address) and an optional port; no path, query,
// user info or trailing slash. Returned in lower case, which is how browsers serialize it.
Result<std::string> ParseOrigin(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Fail(Invalid("origin \"" + std::string(text) + "\" " + std::string(why) +
                        " (expected scheme://host[:port], e.g. https://ide.example.com)"));
  };
  std::string lower(text);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string_view rest(lower);
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return bad("must start with http:// or https://");
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed [");
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after the host");
      port = after.substr(1);
      if (port.empty()) return bad("has an empty port");
    }
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return bad("has an empty port");
  }
  if (host.empty()) return bad("has no host");
  for (const char ch : host) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                    ch == '.' || ch == '[' || ch == ']' || ch == ':';
    if (!ok) return bad("has a path, user info or a character not allowed in a host");
  }
  if (!port.empty()) {
    auto n = ParseInt(port, 1, 65535);
    if (!n) return bad("has an invalid port");
  }
  return lower;
}

Result<void> SetCorsOrigins(Config& c, std::string_view text) {
  std::vector<std::string> origins;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") {
      return Fail(Invalid("\"*\" is not allowed: list each origin that may call the API"));
    }
    if (!item.empty()) {
      auto origin = ParseOrigin(item);
      if (!origin) return Fail(origin.error());
      if (std::find(origins.begin(), origins.end(), *origin) == origins.end()) {
        origins.push_back(std::move(*origin));
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  c.cors_origins = std::move(origins);
  return {};
}

const std::vector<KeySpec>& Specs() {
  static const std::vector<KeySpec> specs = {
      {"server.listen",
       "address the server binds (`[::1]:8080` for IPv6)", "127.0.0.1:8080",
       SetListen},
      {"server.max_body_bytes",
       "largest request body any route accepts (`413` past it, before the body is read); most "
       "routes take less: auth routes 8 KiB, JSON routes 64 KiB; file uploads, exec and `/run` "
       "up to this ([server security](security/server.md))", "16777216",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1024, int64_t{1} << 30);
         if (!n) return Fail(n.error());
         c.max_body_bytes = *n;
         return {};
       }},
      {"server.cors_origins",
       "origins allowed to call the API cross-origin, comma-separated "
       "(`https://ide.example.com,http://localhost:5173`; in a JSON file also a list); exact "
       "`scheme://host[:port]`, no path, no `*`; empty = same-origin only "
       "([api](api.md#cross-origin-requests-cors))", "",
       SetCorsOrigins},
      {"server.idle_timeout_s",
       "a keep-alive connection idle between requests is closed; also caps "
       "`server.header_timeout_s` (1-3600)", "30",
       IntSetter(&Config::http_idle_timeout_s, 1, 3600)},
      {"server.request_timeout_s",
       "a request body must arrive within this (`408` past it, and a body that stalls this long "
       "is cut); a client that takes nothing of an answer for this long is cut (1-3600)", "60",
       IntSetter(&Config::request_timeout_s, 1, 3600)},
      {"server.hsts_max_age_s",
       "`Strict-Transport-Security: max-age=N` on every answer when N > 0; only behind HTTPS", "0",
       IntSetter(&Config::hsts_max_age_s, 0, int64_t{2} * 365 * 24 * 3600)},
      {"server.drain_timeout_s",
       "on SIGTERM/SIGINT, how long requests in flight may still finish (0-3600)", "10",
       IntSetter(&Config::drain_timeout_s, 0, 3600)},
      {"server.shutdown_sync_timeout_s",
       "then, how long the final sync of the workspaces this server holds may take; each synced "
       "one has its lease ended at once with its pod and shells left running, for the next "
       "request on any replica (or this server started again) to take over; the rest keep their "
       "leases until they expire (1-3600)", "20",
       IntSetter(&Config::shutdown_sync_timeout_s, 1, 3600)},
      {"server.worker_threads",
       "threads running quick request handlers (storage reads and writes) (1-1024)", "16",
       IntSetter(&Config::worker_threads, 1, 1024)},
      {"server.max_long_requests",
       "requests doing long work at once: exec, `/run`, workspace start, stop and delete, "
       "terminal attach; more get `503` with `Retry-After: 2` at once (1-4096)", "64",
       IntSetter(&Config::max_long_requests, 1, 4096)},
      {"server.max_inflight_body_bytes",
       "request body bytes buffered at once over all requests, reserved from `Content-Length` "
       "before a body is read; past it a new body gets `503` with `Retry-After: 1` and the "
       "connection closes (1 MiB-1 TiB; at least `server.max_body_bytes`)", "268435456",
       IntSetter(&Config::max_inflight_body_bytes, 1 << 20, int64_t{1} << 40)},
      {"server.max_connections",
       "open client connections (HTTP and terminals); more are closed at accept, logged and "
       "counted. Held below the process's descriptor limit minus 256 (the server raises its soft"
       " `RLIMIT_NOFILE` to the hard limit at start) (16-1000000)", "10000",
       IntSetter(&Config::max_connections, 16, 1000000)},
      {"server.max_connections_per_ip",
       "open client connections from one IP address (IPv4-mapped IPv6 counts as the IPv4 "
       "address); behind a reverse proxy every client has the proxy's address: raise it there "
       "(1-1000000)", "256",
       IntSetter(&Config::max_connections_per_ip, 1, 1000000)},
      {"server.header_timeout_s",
       "a connection's request line and headers must arrive within this (or "
       "`server.idle_timeout_s` if shorter): connections that never send a whole request are "
       "closed quickly (1-3600)", "10",
       IntSetter(&Config::header_timeout_s, 1, 3600)},
      // The file-read goal of issue 13 (docs/benchmarks.md).
      {"server.inline_reads",
       "with SQLite storage on a file (with reader connections), file reads (`GET "
       ".../files/{path...}`) and tree pages are answered on the server's event thread instead "
       "of being handed to a request worker and back: about half the CPU per authenticated read."
       " Costs: while one runs, the event thread serves no other connection (tens of "
       "microseconds; a read using over 1 ms of CPU, a large file, or waiting over 1 ms for a "
       "reader connection or the disk, sends the reads of the next 100 ms to the workers); and "
       "reads no longer spread over cores: the one event thread serves at most about 1 / 40 us, "
       "some 24k authenticated reads/s on the 2-core test machine, where workers on many cores "
       "could serve more. Turn it off on a many-core server that must serve more reads than "
       "that. Ignored for PostgreSQL, `sqlite::memory:` and `readers=0`. `false`: every such "
       "read goes to a worker ([architecture](architecture.md#server-threading-shellsserver))",
       "true",
       [](Config& c, std::string_view v) -> Result<void> {
         auto b = ParseBool(v);
         if (!b) return Fail(b.error());
         c.inline_reads = *b;
         return {};
       }},
      // exec.* and terminal.*: issue 13 items 11 and 16 (docs/security/edges.md).
      {"exec.max_args",
       "argv elements one command may be given (exec in a workspace, a one-shot run's program); "
       "past it `400` naming the key (1-1048576)", "4096",
       IntSetter(&Config::exec_max_args, 1, 1 << 20)},
      {"exec.max_arg_bytes",
       "bytes of one argv element or `NAME=value` environment entry (Linux's own cap per string "
       "is 128 KiB) (16-131072)", "131072",
       IntSetter(&Config::exec_max_arg_bytes, 16, int64_t{128} << 10)},
      {"exec.max_env",
       "environment entries one command may be given (0-65536)", "256",
       IntSetter(&Config::exec_max_env, 0, 1 << 16)},
      {"exec.max_total_bytes",
       "argv and environment together, each string with its NUL (Linux allows about 2 MiB) "
       "(1024-2097152)", "1048576",
       IntSetter(&Config::exec_max_total_bytes, 1024, int64_t{2} << 20)},
      {"terminal.max_viewers_per_terminal",
       "connections watching one workspace's terminal; the next is closed with `4029` "
       "([api](api.md#terminal-websocket)) (1-10000)", "16",
       IntSetter(&Config::terminal_max_viewers_per_terminal, 1, 10000)},
      {"terminal.max_viewers_per_user",
       "terminal connections of one user over all workspaces; the next is closed with `4029` "
       "(1-100000)", "32",
       IntSetter(&Config::terminal_max_viewers_per_user, 1, 100000)},
      {"terminal.viewer_queue_bytes",
       "terminal output queued for one viewer; a viewer that falls further behind has its output"
       " dropped and is resynced (65536-67108864)", "1048576",
       IntSetter(&Config::terminal_viewer_queue_bytes, 65536, int64_t{64} << 20)},
      {"terminal.reauth_interval_s",
       "how often the access token of every open terminal is verified again; a revoked or "
       "expired one closes the terminal with `4001`; also how often the login of every "
       "interactive Run under way is checked (a revoked one stops the run, `4001`). One storage "
       "read per terminal or run each time (1-3600)", "5",
       IntSetter(&Config::terminal_reauth_interval_s, 1, 3600)},
      // run_session.*: issue 17, the IDE's interactive Run (docs/web.md, "Run").
      {"run_session.cpu_time_limit_s",
       "CPU seconds of one interactive run, the IDE's Run ([web](web.md#run)); past it the run "
       "ends as `time_limit_exceeded` (1-3600)", "10",
       IntSetter(&Config::run_session_cpu_time_limit_s, 1, 3600)},
      {"run_session.wall_time_limit_s",
       "seconds one interactive run may last, time spent waiting for the person to type "
       "included; past it the program is killed. Longer lets a forgotten `input()` hold an exec "
       "slot (`exec.max_concurrent_*`) and a pod awake for longer (1-86400)", "600",
       IntSetter(&Config::run_session_wall_time_limit_s, 1, 86400)},
      {"run_session.output_limit_bytes",
       "bytes one interactive run may print; past it the program is killed "
       "(`output_limit_exceeded`). The output is streamed, not kept, so this bounds the traffic "
       "of a runaway `while True: print(1)` rather than memory (65536-17179869184)", "67108864",
       IntSetter(&Config::run_session_output_limit_bytes, 65536, int64_t{1} << 34)},
      // run.*: issue 17, a Run surviving a dropped WebSocket (docs/web.md, "Run").
      {"run.reconnect_grace_s",
       "seconds a Run whose WebSocket dropped (a page reload, a network blip) goes on, waiting "
       "for the IDE to reconnect to it by its run id ([web](web.md#run)); then it is stopped "
       "(verdict `stopped`, reason `disconnected`). Meanwhile its output waits in the run's "
       "replay buffer (the last 1 MiB, the run's per-client queue size) and the program blocks "
       "once 1 MiB is waiting, so a forgotten run holds an exec slot, a pod session and that "
       "memory for this long at the most; 0 stops the run as soon as its socket drops (0-3600)",
       "30",
       IntSetter(&Config::run_reconnect_grace_s, 0, 3600)},
      {"terminal.max_per_workspace",
       "terminals (shells) one workspace may have at once, the IDE's terminal tabs "
       "([api](api.md#terminal-websocket)); a hello naming a higher number is closed with "
       "`1008`. Each costs a pod session (a bash and its 64 KiB scrollback in the pod), and the "
       "pod holds 8 sessions in all, which Run shares (1-6)", "4",
       IntSetter(&Config::terminal_max_per_workspace, 1, 6)},
      // events.*: issue 14, changes pushed (docs/api.md, "Events").
      {"events.poll_interval_ms",
       "how often each server process reads new rows of the events table (10-60000). It is the "
       "latency of an event made through another replica (one made through the same process "
       "wakes its reader when it commits). Costs one read transaction per interval per process "
       "(on PostgreSQL three small indexed queries, more during a horizon stall), whether anyone"
       " listens or not; 10 ms on ten replicas is a thousand transactions a second", "250",
       IntSetter(&Config::events_poll_interval_ms, 10, 60000)},
      {"events.queue_limit",
       "events queued for one `/api/v1/events` connection before it is closed with `4008` as too"
       " slow (it reconnects with `?after=`); bounds a slow client's memory at about this many "
       "small JSON objects (10-1000000)", "1000",
       IntSetter(&Config::events_queue_limit, 10, 1000000)},
      {"events.retention_s",
       "events older than this are deleted (checked every minute); a client away for longer "
       "cannot resume with `?after=` and reloads what it shows. Costs storage: one row per file "
       "change (60-31622400)", "86400",
       IntSetter(&Config::events_retention_s, 60, int64_t{366} * 86400)},
      {"events.horizon_wait_ms",
       "PostgreSQL only: how long a committed event waits for the server-wide commit horizon "
       "before it is sent without it (0-600000). Any transaction left open on the PostgreSQL "
       "server, in any database and by any application, holds the horizon back; without this "
       "bound it would hold every event back until it ends. What it costs: during such a stall "
       "events come up to this late, and out of id order (an older transaction committing later "
       "has its events sent after newer ones, each still once); the poller reads the running "
       "transactions' events and writes one `event_stalls` row per poll that sends events this "
       "way; and a client resuming with `?after=` an event sent during the stall reloads instead"
       " (`4010`). Shorter: less delay in a stall, more out-of-order sends and reloads when "
       "ordinary long writes (a big sync pass) briefly hold the horizon; 0 sends every committed"
       " event at once. Longer: fewer of those, more delay", "2000",
       IntSetter(&Config::events_horizon_wait_ms, 0, 600000)},
      // reviews.*: issue 15, code review (docs/reviews.md).
      {"reviews.auto_assign",
       "a new review goes at once to the eligible reviewer (level at least the review's, at "
       "least 1, not the author) with the fewest open reviews (`in_review` or "
       "`changes_requested`), instead of waiting in the queue for a claim "
       "([reviews](reviews.md)). Costs one count per eligible reviewer at each submission; the "
       "reviewer cannot decline except by unclaiming", "false",
       [](Config& c, std::string_view v) -> Result<void> {
         auto b = ParseBool(v);
         if (!b) return Fail(b.error());
         c.reviews_auto_assign = *b;
         return {};
       }},
      // jobs.* and limits.jobs_*: issue 16, the durable job queue (docs/jobs.md).
      {"jobs.workers",
       "worker threads of this server process that run jobs (every one-shot run is a job, "
       "[jobs](jobs.md)); each runs one job at a time, so this bounds the runs at once per "
       "process (0-256; 0: this process queues and answers, other replicas run). Each costs a "
       "thread and, while busy, a pod; idle, one small read per `jobs.poll_ms`", "2",
       IntSetter(&Config::jobs_workers, 0, 256)},
      {"jobs.lease_s",
       "how long a claimed job's lease lasts without its worker's heartbeat (every third of it):"
       " after `kill -9` of a server its running jobs are taken over by another worker within "
       "this plus a poll (1-3600). Shorter: faster takeover, a renewal write per running job "
       "more often, and a worker stalled longer than the lease loses its job (its result is then"
       " dropped, the job runs again)", "10",
       IntSetter(&Config::jobs_lease_s, 1, 3600)},
      {"jobs.max_attempts",
       "claims of one job before it is finished as `internal_error` (1-100): bounds how often a "
       "job that kills its worker's server is run again", "3",
       IntSetter(&Config::jobs_max_attempts, 1, 100)},
      {"jobs.poll_ms",
       "how often idle workers and waiting `GET /jobs/{id}?wait` look at storage for work or "
       "results made by other replicas (10-60000); a submission or a finish in the same process "
       "wakes them at once. Costs one small read per idle worker and per waiting request per "
       "interval", "100",
       IntSetter(&Config::jobs_poll_ms, 10, 60000)},
      {"jobs.max_queue_depth",
       "queued jobs (all replicas) past which new jobs (and `POST /run`) are refused with `503` "
       "and `Retry-After` (1-10000000). Counted in the submitting transaction: on PostgreSQL "
       "concurrent submissions may pass it by their number. Bounds the wait a queued job can "
       "face and the storage the queue takes", "1000",
       IntSetter(&Config::jobs_max_queue_depth, 1, 10000000)},
      {"limits.jobs_per_minute",
       "jobs (and `/run` calls) one user may submit per minute, counted in storage across "
       "replicas; past it `429` with `Retry-After` and the `RateLimit-*` headers; 0 = off. Costs"
       " one counter row write per submitted job", "60",
       IntSetter(&Config::limits_jobs_per_minute, 0, 1000000)},
      {"limits.jobs_per_day",
       "the same per day (a fixed window from the first job); 0 = off", "2000",
       IntSetter(&Config::limits_jobs_per_day, 0, 100000000)},
      {"jobs.max_time_limit_s",
       "the largest `time_limit_s` (CPU seconds) a job may ask; the wall time is twice it, so it"
       " bounds how long one job holds a worker (1-3600)", "10",
       IntSetter(&Config::jobs_max_time_limit_s, 1, 3600)},
      {"jobs.max_memory_limit_mb",
       "the largest `memory_limit_mb` a job may ask (8-1048576)", "1024",
       IntSetter(&Config::jobs_max_memory_limit_mb, 8, 1 << 20)},
      {"jobs.max_output_limit_kb",
       "the largest `output_limit_kb` a job may ask; the output is stored with the job "
       "(1-1048576)", "4096",
       IntSetter(&Config::jobs_max_output_limit_kb, 1, 1 << 20)},
      {"jobs.callback_hosts",
       "hosts (`host` or `host:port`, lower-case, comma-separated) a job's `callback_url` may "
       "name; empty refuses every `callback_url` (400). An allow-list, because a callback makes "
       "the server connect where a user says: keep it to receivers you run (never a range of the"
       " internal network). Plain `http://` only (the library speaks no TLS)", "",
       [](Config& c, std::string_view v) -> Result<void> {
         std::vector<std::string> hosts;
         while (!v.empty()) {
           const std::size_t comma = v.find(',');
           std::string_view host = v.substr(0, comma);
           while (!host.empty() && host.front() == ' ') host.remove_prefix(1);
           while (!host.empty() && host.back() == ' ') host.remove_suffix(1);
           for (const char ch : host) {
             const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                             ch == '-' || ch == ':' || ch == '[' || ch == ']';
             if (!ok) {
               return Fail(Invalid("expected lower-case host or host:port names, got \"" +
                                   std::string(host) + "\""));
             }
           }
           if (!host.empty()) hosts.emplace_back(host);
           if (comma == std::string_view::npos) break;
           v.remove_prefix(comma + 1);
         }
         c.jobs_callback_hosts = std::move(hosts);
         return {};
       }},
      {"jobs.callback_attempts",
       "deliveries of one callback tried (1 s after the job, then doubling to at most 300 s "
       "apart) before it is marked `failed` (1-100). Each attempt holds a delivery thread up to "
       "10 s", "8",
       IntSetter(&Config::jobs_callback_attempts, 1, 100)},
      // problems.*: issue 16, caps on problem packages read by import (docs/problems.md).
      {"problems.max_package_bytes",
       "all files of one problem package together, uncompressed, read by `codeyard problems "
       "import` ([problems](problems.md#caps-against-hostile-packages)); a package is held in "
       "memory while it is imported, so this bounds the importer's memory (1024-17179869184)",
       "536870912",
       IntSetter(&Config::problems_max_package_bytes, 1024, int64_t{16} << 30)},
      {"problems.max_package_file_bytes",
       "one file of a problem package, uncompressed; bounds the largest test input or output "
       "(1024-17179869184)", "134217728",
       IntSetter(&Config::problems_max_package_file_bytes, 1024, int64_t{16} << 30)},
      {"problems.max_package_files",
       "files in one problem package (1-10000000)", "20000",
       IntSetter(&Config::problems_max_package_files, 1, 10000000)},
      {"problems.max_package_depth",
       "folders below a problem package's root (2-256)", "12",
       IntSetter(&Config::problems_max_package_depth, 2, 256)},
      {"problems.max_zip_ratio",
       "how many times a zipped package's entry over 1 MiB may expand; more is refused as a zip "
       "bomb. Text test data compresses 10-50 times; data made of one repeated byte (a valid but"
       " silly test) more, and needs a higher value (2-1000000)", "500",
       IntSetter(&Config::problems_max_zip_ratio, 2, 1000000)},
      // relay.*: issue 17, the preview of what a workspace serves (codeyard/port_relay.hpp).
      {"relay.preview_ttl_s",
       "how long a preview ticket (`POST /api/v1/workspaces/{id}/previews`: the capability path "
       "`/api/v1/previews/{ticket}/` the IDE frames, and a cookie scoped to one workspace's "
       "port) lets a tab or frame in; a longer one keeps a leaked ticket useful longer (logout "
       "ends it at once) (60-86400) ([workspaces](workspaces.md#preview-what-a-program-serves))",
       "3600",
       IntSetter(&Config::relay_preview_ttl_s, 60, 86400)},
      {"relay.max_response_bytes",
       "largest answer body of a workspace's program the preview relays: `502` when its "
       "Content-Length says more, otherwise broken off (a short body) when more comes; answers "
       "over 256 KiB or of unknown length are streamed through a 256 KiB pipe, so this no longer"
       " bounds memory, only what one answer may carry (1 KiB-1 GiB)", "67108864",
       IntSetter(&Config::relay_max_response_bytes, 1024, int64_t{1} << 30)},
      {"relay.timeout_s",
       "how long a previewed program may stay silent (no byte of its answer) before the request "
       "gets `502`; it holds a long-work thread meanwhile (1-3600)", "30",
       IntSetter(&Config::relay_timeout_s, 1, 3600)},
      // ports.*: issue 17, uploads through the preview (streamed, never held whole).
      {"ports.max_request_body_bytes",
       "largest request body (a POST/PUT upload) passed to a workspace's program through its "
       "preview; past it `413` with the JSON error, by Content-Length before any byte is read. "
       "Such a body is streamed to the program as it arrives (the browser sends only as fast as "
       "the program reads, at most 256 KiB held per upload), so this bounds what one upload may "
       "carry and how long it may hold a long-work thread, not memory; it is not capped by "
       "`server.max_body_bytes` (1 KiB-1 TiB)", "268435456",
       IntSetter(&Config::ports_max_request_body_bytes, 1024, int64_t{1} << 40)},
      // search.*: issue 17, search across a workspace's files (codeyard/search.hpp).
      {"search.max_query_bytes",
       "bytes of one search query (`GET /workspaces/{id}/search`, [api](api.md#search)); longer "
       "is `400` naming the key (1-4096)", "256",
       IntSetter(&Config::search_max_query_bytes, 1, 4096)},
      {"search.max_results",
       "matching lines one search returns; it stops there and says "
       "`\"truncated_by\":\"search.max_results\"`. Bounds the answer's size (at most ~300 bytes "
       "a line) (1-100000)", "1000",
       IntSetter(&Config::search_max_results, 1, 100000)},
      {"search.max_scan_bytes",
       "file bytes one search reads from storage before it stops (`truncated_by`), in path "
       "order. Bounds one search's time (about 0.1 s per 10 MiB of text on one core) and its "
       "read transaction (1024-17179869184)", "67108864",
       IntSetter(&Config::search_max_scan_bytes, 1024, int64_t{1} << 34)},
      {"search.max_file_bytes",
       "files larger than this are skipped by search (counted in `files_skipped`): logs and "
       "data, not code (1-4294967296)", "1048576",
       IntSetter(&Config::search_max_file_bytes, 1, int64_t{1} << 32)},
      {"search.max_line_bytes",
       "bytes of a line a regular expression is matched against; with Boost.Regex's own bound "
       "(work proportional to this times the pattern's length squared) it caps one line's regex "
       "work (16-1048576)",
       "4096",
       IntSetter(&Config::search_max_line_bytes, 16, int64_t{1} << 20)},
      {"search.max_cpu_ms",
       "CPU time one search may take on the server's thread (reading and matching); past it the "
       "search stops where it is and says `\"truncated_by\":\"search.max_cpu_ms\"`. What bounds a "
       "regular expression that backtracks on every line (1-600000)",
       "5000", IntSetter(&Config::search_max_cpu_ms, 1, 600000)},
      {"server.web_dir",
       "the built browser UI the server serves at every non-API path ([browser "
       "IDE](web.md#serving-codeyard-server)); relative paths are from the working directory; "
       "empty: `../web` beside the binary (`build/web` in a build tree)", "",
       [](Config& c, std::string_view v) -> Result<void> {
         c.web_dir = std::string(v);
         return {};
       }},
      {"data_dir",
       "SQLite database, dev secret, workspaces", "./data",
       [](Config& c, std::string_view v) -> Result<void> {
         if (v.empty()) return Fail(Invalid("must not be empty"));
         c.data_dir = std::string(v);
         return {};
       }},
      {"storage.uri",
       "`sqlite:///abs.db`, `sqlite::memory:`, `postgres://user:pw@host:port/db`",
       "sqlite://<data_dir>/codeyard.db",
       [](Config& c, std::string_view v) -> Result<void> {
         if (v.find(':') == std::string_view::npos) {
           return Fail(
               Invalid("expected a URI such as sqlite:///var/lib/codeyard/db or "
                       "postgres://user@host/db, got \"" +
                       std::string(v) + "\""));
         }
         c.storage_uri = std::string(v);
         return {};
       }},
      {"executor.uri",
       "where pods run: `local:` (the sandbox on this host), parameters below", "local:",
       [](Config& c, std::string_view v) -> Result<void> {
         if (v.find(':') == std::string_view::npos) {
           return Fail(Invalid("expected a URI such as local: or local:?allow_unlimited=1, got \"" +
                               std::string(v) + "\""));
         }
         c.executor_uri = std::string(v);
         return {};
       }},
      {"executor.pool_size",
       "pods kept ready for one-shot runs (`POST /api/v1/run`, `codeyard run`); 0 turns the warm"
       " pool off", "2",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 0, 256);
         if (!n) return Fail(n.error());
         c.pool_size = *n;
         return {};
       }},
      // reuse (issue 16): pool pods reset between runs (docs/sandbox.md, "Reusing a pod").
      {"executor.pool_reuse_runs",
       "one-shot runs a warm-pool pod serves before it is deleted, reset between them "
       "([sandbox](sandbox.md#reusing-a-pod-podreset)): a reset costs a few ms where a pod start"
       " costs tens of ms of CPU; runs of different users then share a pod one after another. 1:"
       " a fresh pod per run (the pool's thread then starts and deletes one pod per run)", "100",
       IntSetter(&Config::pool_reuse_runs, 1, 100000)},
      {"workspace.idle_timeout_s",
       "a workspace pod with no exec, terminal input or file operation for this long is stopped "
       "(after a final sync)", "900",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 10, int64_t{7} * 24 * 3600);
         if (!n) return Fail(n.error());
         c.idle_timeout_s = *n;
         return {};
       }},
      {"workspace.max_running_per_user",
       "running workspace pods per user, over every replica; past it `429 resource_exhausted` "
       "naming the key (`Retry-After: 1`: stopping one frees a slot)", "3",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, 1000);
         if (!n) return Fail(n.error());
         c.max_running_per_user = *n;
         return {};
       }},
      {"workspace.max_running_total",
       "running workspace pods over every replica on the database, counted in storage (`429`, "
       "`Retry-After: 30`); memory usually binds first, see `workspace.memory_capacity_bytes`",
       "32",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, 100000);
         if (!n) return Fail(n.error());
         c.max_running_total = *n;
         return {};
       }},
      {"files.max_file_bytes",
       "largest file in a workspace (API and sync)", "10485760",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, int64_t{1} << 32);
         if (!n) return Fail(n.error());
         c.max_file_bytes = *n;
         return {};
       }},
      {"files.max_workspace_bytes",
       "total size of one workspace's files", "104857600",
       [](Config& c, std::string_view v) -> Result<void> {
         auto n = ParseInt(v, 1, int64_t{1} << 40);
         if (!n) return Fail(n.error());
         c.max_workspace_bytes = *n;
         return {};
       }},
      // Rate limits and caps (docs/security/accounts.md).
      {"auth.login_failures_per_account",
       "failed logins for one username (known or not) within `auth.login_failure_window_s` "
       "before every further attempt waits; 0 = off ([security](security/accounts.md))", "5",
       IntSetter(&Config::login_failures_per_account, 0, 1000000)},
      {"auth.login_failures_per_address",
       "the same per client address (the TCP peer; no proxy header is trusted)", "100",
       IntSetter(&Config::login_failures_per_address, 0, 1000000)},
      {"auth.login_failure_window_s",
       "how long a failure is remembered (each failure restarts it); also the longest wait", "900",
       IntSetter(&Config::login_failure_window_s, 1, int64_t{7} * 24 * 3600)},
      {"auth.password_ops",
       "argon2id's passes over memory for a new password hash; a stored hash of another cost "
       "is redone at its owner's next login ([security](security/accounts.md))", "2",
       IntSetter(&Config::password_ops, 1, 64)},
      {"auth.password_memory_kib",
       "argon2id's memory for a new password hash, in KiB (65536: libsodium's interactive "
       "cost, about 0.1 s a login; 8, the minimum, only for tests and fuzzing)", "65536",
       IntSetter(&Config::password_memory_kib, 8, int64_t{4} << 20)},
      {"auth.login_backoff_s",
       "the first wait once a budget is spent; doubled for each failure after a wait, at most "
       "the window", "30",
       IntSetter(&Config::login_backoff_s, 1, int64_t{24} * 3600)},
      {"auth.registrations_per_address",
       "accounts one client address may register per `auth.registration_window_s`; 0 = off", "30",
       IntSetter(&Config::registrations_per_address, 0, 1000000)},
      {"auth.registration_window_s",
       "the registration window", "3600",
       IntSetter(&Config::registration_window_s, 1, int64_t{7} * 24 * 3600)},
      {"workspace.creates_per_minute",
       "workspaces one user may create per minute; 0 = off", "60",
       IntSetter(&Config::workspace_creates_per_minute, 0, 1000000)},
      {"exec.per_minute",
       "`POST .../exec` calls one user may start per minute; 0 = off", "120",
       IntSetter(&Config::execs_per_minute, 0, 1000000)},
      {"exec.max_concurrent_per_user",
       "execs of one user running at once on this server (refused at once past it, never "
       "queued); 0 = no cap", "4",
       IntSetter(&Config::exec_max_concurrent_per_user, 0, 10000)},
      {"exec.max_concurrent_per_workspace",
       "execs in one workspace running at once on this server; 0 = no cap", "2",
       IntSetter(&Config::exec_max_concurrent_per_workspace, 0, 10000)},
      {"storage.min_free_bytes",
       "`/ready` answers 503 \"storage is nearly full\" when the SQLite database's directory has"
       " less free; 0 = no check", "16777216",
       IntSetter(&Config::storage_min_free_bytes, 0, int64_t{1} << 50)},
      // Workspace quotas and admission (the files area of issue 13).
      {"files.max_workspace_entries",
       "files and folders one workspace may hold (1-150000: always under the 200,000 entries a "
       "pod's listing returns, so the sync of a full workspace works); API writes past it are "
       "`429`, the sync leaves the excess in the pod, reported ([files "
       "security](security/files.md))", "10000",
       IntSetter(&Config::max_workspace_entries, 1, 150000)},
      {"files.max_user_bytes",
       "total size of the files of all of one user's workspaces; `429` past it", "1073741824",
       IntSetter(&Config::max_user_bytes, 1, int64_t{1} << 44)},
      {"files.max_user_entries",
       "files and folders over all of one user's workspaces; `429` past it", "50000",
       IntSetter(&Config::max_user_entries, 1, int64_t{1} << 32)},
      {"workspace.max_per_user",
       "workspaces one user may own; creating more is `429`", "100",
       IntSetter(&Config::max_workspaces_per_user, 1, 1000000)},
      {"workspace.memory_capacity_bytes",
       "memory the limits of all running workspace pods may reserve together; a pod starts only "
       "when its limit (1 GiB by default) fits, else `429` naming this key with `Retry-After: "
       "30`. `0` = the host's `MemTotal` minus a reserve of a quarter of it (at least 1 GiB) for"
       " the server, the database and the run pool; a 24 GiB host admits 18 default pods", "0",
       IntSetter(&Config::memory_capacity_bytes, 0, int64_t{1} << 50)},
      // Replicas and pod leases (issue 14).
      {"server.replica_id",
       "this replica's name in the pods table "
       "([leases](workspaces.md#leases-corestorepodshpp-coreworkspacesworkspace_leasescpp)); "
       "letters, digits, `-`, `.`, `_`, at most 128. Give each replica sharing a database its "
       "own (on Kubernetes, the pod name from the downward API); empty, every process gets a new"
       " one, `<hostname>-<pid>-<random>`. With a stable name a restarted replica takes its "
       "leases back at once; with a fresh one it waits for them to expire", "",
       [](Config& c, std::string_view v) -> Result<void> {
         for (const char ch : v) {
           const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                           (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
           if (!ok) {
             return Fail(
                 Invalid("config: server.replica_id: expected letters, digits, '-', "
                         "'.' or '_', got \"" +
                         std::string(v) + "\""));
           }
         }
         if (v.size() > 128)
           return Fail(Invalid("config: server.replica_id: at most 128 characters"));
         c.replica_id = std::string(v);
         return {};
       }},
      {"workspace.lease_s",
       "how long a replica's lease on a workspace pod lasts unrenewed (2-3600): after `kill -9` "
       "of a replica, the others serve its workspaces (takeover, no stored file lost, no second "
       "pod) within this plus one request. A shorter lease makes takeover faster and costs one "
       "renewal write per held workspace every `workspace.lease_renew_s`, and a replica stalled "
       "longer than the lease (GC-like pauses, a saturated database) loses its leases and must "
       "claim them again (its sync writes are refused meanwhile: fencing keeps that safe, not "
       "free)", "15",
       IntSetter(&Config::workspace_lease_s, 2, 3600)},
      {"workspace.lease_renew_s",
       "how often a replica renews the leases it holds; when set, less than `workspace.lease_s`."
       " `0`: a third of the lease (at least 0.5 s), which leaves two renewals of slack: setting"
       " only `workspace.lease_s` is enough", "0",
       IntSetter(&Config::workspace_lease_renew_s, 0, 3600)},
      {"log.level",
       "`debug`, `info`, `warn`, `error`, `off`", "info",
       [](Config& c, std::string_view v) -> Result<void> {
         auto level = ParseLogLevel(v);
         if (!level) return Fail(level.error());
         c.log_level = *level;
         return {};
       }},
      {"dev_mode",
       "development mode", "false",
       [](Config& c, std::string_view v) -> Result<void> {
         auto b = ParseBool(v);
         if (!b) return Fail(b.error());
         c.dev_mode = *b;
         return {};
       }},
      {"secret",
       "access-token signing secret, >= 32 bytes, required outside dev mode (see below)", "",
       [](Config& c, std::string_view v) -> Result<void> {
         c.secret = std::string(v);
         return {};
       }},
      // Workspace pods outliving their server.
      {"workspace.pod_orphan_timeout_s",
       "a workspace pod keeps running this long after the last server process holding it let go "
       "or died, so a restarted server or another replica sharing the executor state reaches it "
       "with its files and shells; then it ends by itself. Shorter frees the memory of a crashed"
       " server's pods sooner, but a server that stays down longer than this loses what was not "
       "synced yet; keep it well above the workspace lease time. `0` = until deleted (a crashed "
       "host then leaves pods running) (0-604800; "
       "[sandbox](sandbox.md#lifetime-pods-belong-to-no-process))", "600",
       IntSetter(&Config::pod_orphan_timeout_s, 0, int64_t{7} * 24 * 3600)},
      // Files in and out (issue 17).
      {"files.download_ttl_s",
       "seconds a signed download link (`POST .../downloads`) works (1-86400). Longer: a link "
       "copied out of the page (history, a shared screen) grants its file for longer; logout and"
       " disabling revoke it whatever its age ([api](api.md#archives-and-download-links))", "300",
       IntSetter(&Config::download_ttl_s, 1, int64_t{24} * 3600)},
      // Workspace images (issue 18, codeyard/images.hpp).
      {"images.dir",
       "where `codeyard image build` puts workspace images and the local backend finds them "
       "([sandbox](sandbox.md#images)); each costs about 1.3 GB of disk with the default "
       "packages. With `executor.uri` a `local:` URI, it is added to the URI as `images_dir=` "
       "unless the URI names one, and a workspace's `image` must be one here",
       "<data_dir>/images",
       [](Config& c, std::string_view v) -> Result<void> {
         c.images_dir = std::string(v);
         return {};
       }},
      // Usage metering (issue 20, usage20; codeyard/usage.hpp).
      {"usage.max_days", "the most days one usage report (GET .../usage) may span", "366",
       IntSetter(&Config::usage_max_days, 1, 3660)},
      {"usage.metrics_max_orgs",
       "organizations with their own codeyard_org_* series (the most CPU first); the rest are "
       "summed under org=\"_other\"",
       "50", IntSetter(&Config::usage_metrics_max_orgs, 0, 100000)},
      // meter20: metering of everything a workspace's pod runs (docs/usage.md).
      {"usage.sample_interval_s",
       "seconds between two samples of the CPU counter of each workspace pod a replica holds "
       "(terminals, language servers, previews; also sampled when a command ends and before "
       "the pod stops); a CPU quota is enforced on running work at this pace, and a pod that "
       "leaves two samples in a row unanswered (5 s each) is replaced as hung (0 = no periodic "
       "sampling)",
       "30", IntSetter(&Config::usage_sample_interval_s, 0, 86400)},
      // admin20: the audit log (codeyard/admin.hpp, docs/admin.md).
      {"audit.retention_days",
       "days an audit log record is kept before the hourly sweep deletes it (0 = forever)", "365",
       IntSetter(&Config::audit_retention_days, 0, 36500)},
      // org20: replicas that stopped heartbeating (codeyard/admin.hpp, docs/admin.md).
      {"replicas.prune_after_s",
       "seconds after its last heartbeat a replica's row is deleted from the replicas table, "
       "by any live replica's heartbeat (0 = never)",
       "3600", IntSetter(&Config::replicas_prune_after_s, 0, 31536000)},
  };
  return specs;
}

const KeySpec* FindSpec(std::string_view name) {
  for (const auto& s : Specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

Error UnknownKey(std::string_view key, std::string_view source) {
  std::string msg =
      "config: unknown key \"" + std::string(key) + "\" (from " + std::string(source) + ")";
  const KeySpec* best = nullptr;
  std::size_t best_distance = 4;
  for (const auto& s : Specs()) {
    // The distance is at least the difference in length: skip names that cannot come closer
    // than the best so far (a long mistyped key then costs no quadratic work per name).
    const std::size_t longer = std::max(key.size(), s.name.size());
    if (longer - std::min(key.size(), s.name.size()) >= best_distance) continue;
    const std::size_t d = EditDistance(key, s.name);
    if (d < best_distance) best = &s, best_distance = d;
  }
  if (best != nullptr) msg += "; did you mean \"" + std::string(best->name) + "\"?";
  return Invalid(msg);
}

Result<void> Apply(Config& config, std::string_view key, std::string_view value,
                   std::string_view source) {
  const KeySpec* spec = FindSpec(key);
  if (spec == nullptr) return Fail(UnknownKey(key, source));
  auto applied = spec->set(config, value);
  if (!applied) {
    return Fail(Invalid("config: " + std::string(key) + " (from " + std::string(source) +
                        "): " + applied.error().message()));
  }
  return {};
}

// "storage.uri" -> "CODEYARD_STORAGE_URI"
std::string EnvName(std::string_view key) {
  std::string out = "CODEYARD_";
  for (const char c : key) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

// Flattens nested objects to dotted keys; scalars become their text form.
Result<void> Flatten(const json::value& v, const std::string& prefix,
                     std::vector<std::pair<std::string, std::string>>& out) {
  switch (v.kind()) {
    case json::kind::object:
      for (const auto& [k, child] : v.get_object()) {
        auto r =
            Flatten(child, prefix.empty() ? std::string(k) : prefix + "." + std::string(k), out);
        if (!r) return r;
      }
      return {};
    case json::kind::string:
      out.emplace_back(prefix, std::string(v.get_string()));
      return {};
    case json::kind::array: {  // a list of strings, as "a,b" (server.cors_origins)
      std::string joined;
      for (const auto& item : v.get_array()) {
        if (!item.is_string()) {
          return Fail(Invalid("config: " + prefix + ": expected a list of strings"));
        }
        if (!joined.empty()) joined += ',';
        joined += std::string(item.get_string());
      }
      out.emplace_back(prefix, std::move(joined));
      return {};
    }
    case json::kind::bool_:
      out.emplace_back(prefix, v.get_bool() ? "true" : "false");
      return {};
    case json::kind::int64:
      out.emplace_back(prefix, std::to_string(v.get_int64()));
      return {};
    case json::kind::uint64:
      out.emplace_back(prefix, std::to_string(v.get_uint64()));
      return {};
    default:
      return Fail(
          Invalid("config: " + prefix + ": expected a string, number, boolean or list of strings"));
  }
}

Result<void> LoadFile(Config& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Invalid("config: cannot read file " + path));
  std::stringstream buf;
  buf << in.rdbuf();
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  boost::system::error_code ec;
  const json::value root = json::parse(buf.str(), ec, {}, opts);
  if (ec) return Fail(Invalid("config: " + path + " is not valid JSON: " + ec.message()));
  if (!root.is_object()) return Fail(Invalid("config: " + path + " must hold a JSON object"));
  std::vector<std::pair<std::string, std::string>> pairs;
  if (auto r = Flatten(root, "", pairs); !r) return Fail(r.error().WithContext(path));
  for (const auto& [k, v] : pairs) {
    if (auto r = Apply(config, k, v, "file " + path); !r) return r;
  }
  return {};
}

}  // namespace

std::string Config::EffectiveStorageUri() const {
  if (!storage_uri.empty()) return storage_uri;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "sqlite://" + dir + "/codeyard.db";
}

std::string Config::EffectiveImagesDir() const {
  if (!images_dir.empty()) return images_dir;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/images";
}

std::vector<ConfigKey> ConfigKeys() {
  std::vector<ConfigKey> out;
  for (const auto& s : Specs()) out.push_back({s.name, s.description, s.default_value});
  return out;
}

Result<Config> LoadConfig(const ConfigInputs& inputs) {
  Config config;
  if (!inputs.file.empty()) {
    if (auto r = LoadFile(config, inputs.file); !r) return Fail(r.error());
  }
  for (const auto& [name, value] : inputs.env) {
    if (!name.starts_with("CODEYARD_")) continue;
    const KeySpec* match = nullptr;
    for (const auto& s : Specs()) {
      if (EnvName(s.name) == name) match = &s;
    }
    if (match == nullptr) {
      // Tests and tools use CODEYARD_TEST_* and friends; note, do not refuse.
      config.warnings.push_back("unknown environment variable " + name + " ignored");
      continue;
    }
    if (auto r = Apply(config, match->name, value, "env " + name); !r) return Fail(r.error());
  }
  for (const auto& [key, value] : inputs.flags) {
    if (auto r = Apply(config, key, value, "flag --set " + key); !r) return Fail(r.error());
  }
  // A body the size server.max_body_bytes allows must fit the in-flight budget, or such
  // requests would be refused forever.
  if (config.max_inflight_body_bytes < config.max_body_bytes) {
    return Fail(Invalid("config: server.max_inflight_body_bytes (" +
                        std::to_string(config.max_inflight_body_bytes) +
                        ") must be at least server.max_body_bytes (" +
                        std::to_string(config.max_body_bytes) + ")"));
  }
  // A renewal period as long as the lease lets it expire between two heartbeats.
  if (config.workspace_lease_renew_s >= config.workspace_lease_s) {  // 0 (a third) always fits
    return Fail(Invalid("config: workspace.lease_renew_s (" +
                        std::to_string(config.workspace_lease_renew_s) +
                        ") must be less than workspace.lease_s (" +
                        std::to_string(config.workspace_lease_s) + ")"));
  }
  return config;
}

std::vector<std::pair<std::string, std::string>> ProcessEnvironment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Result<std::pair<std::string, std::string>> SplitAssignment(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Fail(Invalid("expected key=value, got \"" + std::string(text) + "\""));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace codeyard
