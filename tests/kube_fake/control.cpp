// Discovery (/version, /api, /apis, /api/v1) and the /fake/ control endpoints.
#include <fstream>

#include "codeyard/id.hpp"
#include "server.hpp"

namespace codeyard::kubefake {

namespace {

json::object ResourceEntry(const std::string& name, const std::string& kind, bool namespaced,
                           json::array verbs, json::array short_names = {}) {
  json::object o{{"name", name},
                 {"singularName", ""},
                 {"namespaced", namespaced},
                 {"kind", kind},
                 {"verbs", std::move(verbs)}};
  if (!short_names.empty()) o["shortNames"] = std::move(short_names);
  return o;
}

}  // namespace

bool Server::Discovery(Conn& conn, const Request& req, const std::vector<std::string>& parts) {
  (void)req;
  if (parts.size() == 1 && parts[0] == "version") {
    return SendJson(conn, 200,
                    {{"major", "1"},
                     {"minor", "32"},
                     {"gitVersion", "v1.32.4-codeyard-fake"},
                     {"gitCommit", "0000000000000000000000000000000000000000"},
                     {"gitTreeState", "clean"},
                     {"buildDate", "2026-01-01T00:00:00Z"},
                     {"goVersion", "go1.23.6"},
                     {"compiler", "gc"},
                     {"platform", "linux/amd64"}});
  }
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "livez" || parts[0] == "readyz")) {
    return Send(conn, Response{200, "text/plain; charset=utf-8", "ok", {}});
  }
  if (parts.size() == 1 && parts[0] == "api") {
    return SendJson(conn, 200,
                    {{"kind", "APIVersions"},
                     {"versions", {"v1"}},
                     {"serverAddressByClientCIDRs",
                      {{{"clientCIDR", "0.0.0.0/0"},
                        {"serverAddress", "127.0.0.1:" + std::to_string(options_.port)}}}}});
  }
  if (parts.size() == 1 && parts[0] == "apis") {
    return SendJson(conn, 200,
                    {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array{}}});
  }
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "v1") {
    const json::array all{"create", "delete", "deletecollection", "get",
                          "list",   "patch",  "update",           "watch"};
    json::array resources{
        ResourceEntry("events", "Event", true, all, {"ev"}),
        ResourceEntry("namespaces", "Namespace", false,
                      {"create", "delete", "get", "list", "patch", "update", "watch"}, {"ns"}),
        ResourceEntry("persistentvolumeclaims", "PersistentVolumeClaim", true, all, {"pvc"}),
        ResourceEntry("pods", "Pod", true, all, {"po"}),
        ResourceEntry("pods/attach", "PodAttachOptions", true, {"create", "get"}),
        ResourceEntry("pods/exec", "PodExecOptions", true, {"create", "get"}),
        ResourceEntry("pods/log", "Pod", true, {"get"}),
        ResourceEntry("pods/status", "Pod", true, {"get", "patch", "update"}),
    };
    resources[3].as_object()["categories"] = json::array{"all"};
    return SendJson(conn, 200,
                    {{"kind", "APIResourceList"},
                     {"apiVersion", "v1"},
                     {"groupVersion", "v1"},
                     {"resources", std::move(resources)}});
  }
  return SendError(conn, NoSuchPath());
}

bool Server::Control(Conn& conn, const Request& req) {
  const std::string what = req.path.substr(std::string("/fake/").size());
  if (what == "throttle") {
    std::lock_guard lock(mu_);
    throttle_left_ = std::atoi(req.Param("count").value_or("1").c_str());
    throttle_retry_after_ = std::atoi(req.Param("retry_after").value_or("1").c_str());
    throttle_verb_ = req.Param("verb").value_or("");
    early_retries_ = 0;
    retry_not_before_.clear();
    return SendJson(conn, 200, {{"throttled", throttle_left_}});
  }
  if (what == "throttle-stats") {
    std::lock_guard lock(mu_);
    return SendJson(conn, 200, {{"left", throttle_left_}, {"early_retries", early_retries_}});
  }
  if (what == "quota") {
    std::lock_guard lock(mu_);
    quota_left_ = std::atoi(req.Param("count").value_or("1").c_str());
    return SendJson(conn, 200, {{"refused", quota_left_}});
  }
  if (what == "unschedulable") {
    const int count = std::atoi(req.Param("count").value_or("1").c_str());
    kubelet_.SetUnschedulable(
        count, req.Param("message").value_or(
                   "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are "
                   "available: 1 No preemption victims found for incoming pod."));
    return SendJson(conn, 200, {{"unschedulable", count}});
  }
  if (what == "pull-delay") {
    const int ms = std::atoi(req.Param("ms").value_or("0").c_str());
    kubelet_.SetPullDelay(std::chrono::milliseconds(ms));
    return SendJson(conn, 200, {{"pull_delay_ms", ms}});
  }
  if (what == "outage") {
    const int ms = std::atoi(req.Param("ms").value_or("1000").c_str());
    BeginOutage(&conn, std::chrono::milliseconds(ms));
    (void)SendJson(conn, 200, {{"outage_ms", ms}});
    return false;  // this connection goes too
  }
  if (what == "compact") {
    store_.Compact();
    return SendJson(conn, 200, {{"compacted", std::to_string(store_.CurrentRv())}});
  }
  if (what == "evict") {
    auto pod = store_.Get("pods", req.Param("namespace").value_or("default"),
                          req.Param("name").value_or(""));
    if (!pod || !kubelet_.Evict(FieldValue(*pod, "metadata.uid"))) {
      return SendError(conn, NotFound("pods", req.Param("name").value_or("")));
    }
    return SendJson(conn, 200, {{"evicted", req.Param("name").value_or("")}});
  }
  if (what == "rotate-token") {
    std::lock_guard lock(mu_);
    token_ = req.Param("token").value_or(NewUuid());
    if (!options_.token_file.empty()) {
      std::ofstream(options_.token_file, std::ios::trunc) << token_ << "\n";
    }
    return SendJson(conn, 200, {{"token", token_}});
  }
  return SendError(conn, NoSuchPath());
}

}  // namespace codeyard::kubefake
