#include "server.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "codeyard/id.hpp"

namespace codeyard::kubefake {

namespace {

const std::set<std::string> kResources = {"pods", "persistentvolumeclaims", "events", "namespaces"};

std::string KindOf(const std::string& resource) {
  if (resource == "pods") return "Pod";
  if (resource == "persistentvolumeclaims") return "PersistentVolumeClaim";
  if (resource == "events") return "Event";
  return "Namespace";
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string p;
  while (std::getline(in, p, '/')) {
    if (!p.empty()) parts.push_back(p);
  }
  return parts;
}

std::string ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

}  // namespace

Server::Server(Options options, Store& store, Kubelet& kubelet)
    : options_(std::move(options)), store_(store), kubelet_(kubelet) {
  token_ = options_.token;
  if (!options_.token_file.empty()) token_ = ReadTokenFile(options_.token_file);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

bool Server::Register(Conn* conn) {
  std::lock_guard lock(conns_mu_);
  if (std::chrono::steady_clock::now() < outage_until_) return false;
  conns_.insert(conn);
  return true;
}

void Server::Unregister(Conn* conn) {
  std::lock_guard lock(conns_mu_);
  conns_.erase(conn);
}

void Server::BeginOutage(Conn* except, std::chrono::milliseconds length) {
  // The event window goes first, then the connections: a restarted server serves nobody from
  // its old window. The other way round, a watch cut here could reconnect (at once, with a
  // short outage) and be served from its old resourceVersion before the compaction, and then
  // never see the 410 a real restart gives it (CI, 1 run of many: no relist).
  store_.Compact();
  {
    std::lock_guard lock(conns_mu_);
    outage_until_ = std::chrono::steady_clock::now() + length;
    // shutdown, not close: each connection's thread still owns its descriptor.
    for (Conn* c : conns_) {
      if (c != except) ::shutdown(c->fd(), SHUT_RDWR);
    }
  }
  store_.WakeAll();
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

std::chrono::milliseconds Server::OutageLeft() {
  std::lock_guard lock(conns_mu_);
  const auto left = outage_until_ - std::chrono::steady_clock::now();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

void Server::WaitOutageEnd() {
  std::unique_lock lock(conns_mu_);
  outage_cv_.wait_until(lock, outage_until_,
                        [&] { return std::chrono::steady_clock::now() >= outage_until_; });
}

std::string Server::Token() {
  std::lock_guard lock(mu_);
  return token_;
}

bool Server::Send(Conn& conn, const Response& response) { return WriteResponse(conn, response); }

bool Server::SendJson(Conn& conn, int code, const json::value& body) {
  return Send(conn, Response{code, "application/json", json::serialize(body), {}});
}

bool Server::SendError(Conn& conn, const ApiError& error) {
  Response r{error.code, "application/json", json::serialize(error.status), {}};
  if (error.retry_after_s > 0)
    r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_s));
  return Send(conn, r);
}

void Server::Audit(const Target& t, const std::string& path, const std::string& user_agent,
                   const std::string& field_selector) {
  if (options_.audit_out.empty()) return;
  json::object line{{"verb", t.verb},
                    {"resource", t.resource},
                    {"subresource", t.subresource},
                    {"namespace", t.ns},
                    {"user_agent", user_agent}};
  if (t.resource.empty()) line["path"] = path;  // a non-resource URL (discovery)
  // Of the request's query (the real audit's requestURI has it all): which object a list or
  // watch by name was for.
  if (!field_selector.empty()) line["field_selector"] = field_selector;
  std::lock_guard lock(mu_);
  std::ofstream out(options_.audit_out, std::ios::app);
  out << json::serialize(line) << "\n";
}

void Server::Serve(std::unique_ptr<Conn> conn) {
  // A connection accepted as an outage began is dropped, as by a server going down.
  if (!Register(conn.get())) return;
  struct Unregister {
    Server* self;
    Conn* conn;
    ~Unregister() { self->Unregister(conn); }
  } unregister{this, conn.get()};
  if (!conn->Handshake()) return;
  // A malformed request (a bad length, JSON of the wrong shape) ends its connection, never
  // the server.
  try {
    while (true) {
      auto req = ReadRequest(*conn);
      if (!req) return;
      if (!Handle(*conn, *req)) return;
      if (req->Header("connection") == "close") return;
    }
  } catch (const std::exception& e) {
    (void)SendError(*conn, BadRequest(std::string("codeyard-kube-fake: ") + e.what()));
  }
}

bool Server::Handle(Conn& conn, Request& req) {
  const auto parts = Split(req.path);
  if (!parts.empty() && parts[0] == "fake") return Control(conn, req);
  const bool public_path = req.path == "/version" || req.path == "/healthz" ||
                           req.path == "/livez" || req.path == "/readyz";
  // Resource paths: /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUB]]
  Target t;
  bool resource_path = false;
  if (parts.size() >= 3 && parts[0] == "api" && parts[1] == "v1") {
    std::vector<std::string> rest(parts.begin() + 2, parts.end());
    if (rest[0] == "namespaces" && rest.size() >= 3) {
      t.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    } else if (rest[0] == "namespaces" && rest.size() == 2) {
      rest = {"namespaces", rest[1]};
    }
    if (rest.size() <= 3 && kResources.contains(rest[0])) {
      resource_path = true;
      t.resource = rest[0];
      if (rest.size() >= 2) t.name = rest[1];
      if (rest.size() == 3) t.subresource = rest[2];
      t.collection = t.name.empty();
      const bool watch = req.BoolParam("watch");
      if (req.method == "GET") {
        t.verb = t.collection ? (watch ? "watch" : "list") : "get";
      } else if (req.method == "POST") {
        t.verb = "create";
      } else if (req.method == "PUT") {
        t.verb = "update";
      } else if (req.method == "PATCH") {
        t.verb = "patch";
      } else if (req.method == "DELETE") {
        t.verb = t.collection ? "deletecollection" : "delete";
      } else {
        t.verb = "unknown";
      }
    }
  }
  if (!resource_path) {
    t = Target{};
    t.verb = req.method == "GET" ? "get" : "create";
  }
  // Every request is audited, the refused ones too (as the API server's audit log does).
  // Who made it, as the real audit's userAgent: the RBAC check keeps the executor's.
  Audit(t, req.path, req.Header("user-agent"), req.Param("fieldSelector").value_or(""));
  {
    std::unique_lock lock(mu_);
    if (!options_.token_file.empty()) token_ = ReadTokenFile(options_.token_file);
    if (!token_.empty() && !public_path && req.Header("authorization") != "Bearer " + token_) {
      lock.unlock();
      return SendError(conn, MakeStatus(401, "Unauthorized", "Unauthorized"));
    }
    const auto now = std::chrono::steady_clock::now();
    const bool throttled = !public_path && (throttle_verb_.empty() || throttle_verb_ == t.verb);
    // A request is its method, path and selectors (not its resourceVersion, which a retry
    // may move on): the readiness watch of one pod and a list+watch of all are different.
    const std::string request = req.method + " " + req.path +
                                "?fieldSelector=" + req.Param("fieldSelector").value_or("") +
                                "&labelSelector=" + req.Param("labelSelector").value_or("");
    if (const auto it = retry_not_before_.find(request);
        throttled && it != retry_not_before_.end() && now < it->second) {
      ++early_retries_;
    }
    if (throttle_left_ > 0 && throttled) {
      --throttle_left_;
      retry_not_before_[request] = now + std::chrono::seconds(throttle_retry_after_);
      ApiError e = MakeStatus(429, "TooManyRequests", "Too many requests, please try again later.",
                              {{"retryAfterSeconds", throttle_retry_after_}});
      e.retry_after_s = throttle_retry_after_;
      lock.unlock();
      return SendError(conn, e);
    }
  }
  if (!resource_path) return Discovery(conn, req, parts);
  const std::string rbac = t.subresource.empty() ? t.resource : t.resource + "/" + t.subresource;
  if (options_.deny.contains(t.verb + ":" + rbac)) {
    const std::string who = t.name.empty() ? t.resource : t.resource + " \"" + t.name + "\"";
    json::object details{{"kind", t.resource}};
    if (!t.name.empty()) details["name"] = t.name;
    return SendError(
        conn,
        MakeStatus(
            403, "Forbidden",
            who +
                " is forbidden: User \"system:serviceaccount:codeyard:codeyard-server\" "
                "cannot " +
                t.verb + " resource \"" + rbac + "\" in API group \"\"" +
                (t.ns.empty() ? " at the cluster scope" : " in the namespace \"" + t.ns + "\""),
            details));
  }
  return Resource(conn, req, t);
}

bool Server::Resource(Conn& conn, Request& req, const Target& t) {
  const bool namespaced = t.resource != "namespaces";
  if (namespaced && !t.ns.empty() && !store_.NamespaceExists(t.ns) &&
      !(t.verb == "list" || t.verb == "watch")) {
    return SendError(conn, NotFound("namespaces", t.ns));
  }
  if (!t.subresource.empty()) {
    if (t.resource != "pods") return SendError(conn, NoSuchPath());
    if (t.subresource == "log" && req.method == "GET") return Logs(conn, req, t);
    if (t.subresource == "exec" || t.subresource == "attach") return Exec(conn, req, t);
    if (t.subresource == "status" && req.method == "GET") {
      auto o = store_.Get("pods", t.ns, t.name);
      return o ? SendJson(conn, 200, *o) : SendError(conn, NotFound("pods", t.name));
    }
    return SendError(conn,
                     MakeStatus(405, "MethodNotAllowed",
                                "the server does not allow this method on the requested resource"));
  }
  if (t.verb == "list" || t.verb == "watch") return ListOrWatch(conn, req, t);
  if (t.verb == "get") {
    const std::string ns = namespaced ? t.ns : "";
    auto o = store_.Get(t.resource, ns, t.name);
    if (!o) return SendError(conn, NotFound(t.resource, t.name));
    if (req.Header("accept").find("as=Table") != std::string::npos) {
      return SendJson(
          conn, 200,
          MakeTable(t.resource, {*o}, store_.CurrentRv(), req.Param("includeObject") == "Object"));
    }
    return SendJson(conn, 200, *o);
  }
  if (t.verb == "create") return CreateObject(conn, req, t);
  if (t.verb == "delete") return DeleteObject(conn, req, t);
  if (t.verb == "patch" || t.verb == "update") return PatchObject(conn, req, t);
  if (t.verb == "deletecollection") {
    auto selector = ParseLabelSelector(req.Param("labelSelector").value_or(""));
    if (!selector) return SendError(conn, BadRequest("unable to parse requirement"));
    uint64_t rv = 0;
    for (const auto& o : store_.List(t.resource, t.ns, &rv)) {
      if (!MatchesLabels(o, *selector)) continue;
      Target one = t;
      one.name = FieldValue(o, "metadata.name");
      if (t.resource == "pods") {
        kubelet_.Terminate(FieldValue(o, "metadata.uid"), 0);
      }
      (void)store_.Remove(t.resource, t.ns, one.name);
    }
    return SendJson(conn, 200,
                    {{"kind", "Status"},
                     {"apiVersion", "v1"},
                     {"metadata", json::object{}},
                     {"status", "Success"}});
  }
  return SendError(conn,
                   MakeStatus(405, "MethodNotAllowed",
                              "the server does not allow this method on the requested resource"));
}

bool Server::ListOrWatch(Conn& conn, const Request& req, const Target& t) {
  auto labels = ParseLabelSelector(req.Param("labelSelector").value_or(""));
  if (!labels) {
    return SendError(conn, BadRequest("unable to parse requirement: found '" +
                                      req.Param("labelSelector").value_or("") + "'"));
  }
  auto fields = ParseFieldSelector(req.Param("fieldSelector").value_or(""));
  if (!fields) return SendError(conn, BadRequest("invalid field selector"));
  if (t.verb == "watch") return Watch(conn, req, t);
  uint64_t rv = 0;
  std::vector<json::object> items;
  for (auto& o : store_.List(t.resource, t.resource == "namespaces" ? "" : t.ns, &rv)) {
    if (MatchesLabels(o, *labels) && MatchesFields(o, *fields)) items.push_back(std::move(o));
  }
  if (req.Header("accept").find("as=Table") != std::string::npos) {
    return SendJson(conn, 200,
                    MakeTable(t.resource, items, rv, req.Param("includeObject") == "Object"));
  }
  json::array list;
  for (auto& o : items) list.push_back(std::move(o));
  return SendJson(conn, 200,
                  {{"kind", KindOf(t.resource) + "List"},
                   {"apiVersion", "v1"},
                   {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                   {"items", std::move(list)}});
}

bool Server::Watch(Conn& conn, const Request& req, const Target& t) {
  const Selector labels = *ParseLabelSelector(req.Param("labelSelector").value_or(""));
  const Selector fields = *ParseFieldSelector(req.Param("fieldSelector").value_or(""));
  const bool bookmarks = req.BoolParam("allowWatchBookmarks");
  const std::string ns = t.resource == "namespaces" ? "" : t.ns;
  auto matches = [&](const json::object& o) {
    return (ns.empty() || FieldValue(o, "metadata.namespace") == ns) && MatchesLabels(o, labels) &&
           MatchesFields(o, fields);
  };
  const auto start = std::chrono::steady_clock::now();
  auto deadline = std::chrono::steady_clock::time_point::max();
  if (auto s = req.Param("timeoutSeconds")) {
    deadline = start + std::chrono::seconds(std::max<int64_t>(std::atoll(s->c_str()), 0));
  }
  if (!StartChunked(conn, 200, "application/json")) return false;
  // `kubectl get -w` asks for Tables: each event then carries a one-row Table.
  const bool table = req.Header("accept").find("as=Table") != std::string::npos;
  const bool include_object = req.Param("includeObject") == "Object";
  auto send_event = [&](const std::string& type, const json::object& object) {
    json::object event{{"type", type}};
    if (table && (type == "ADDED" || type == "MODIFIED" || type == "DELETED")) {
      const std::string rv = FieldValue(object, "metadata.resourceVersion");
      event["object"] =
          MakeTable(t.resource, {object}, std::strtoull(rv.c_str(), nullptr, 10), include_object);
    } else {
      event["object"] = object;
    }
    return WriteChunk(conn, json::serialize(event) + "\n");
  };
  const std::string rv_param = req.Param("resourceVersion").value_or("");
  uint64_t cur = 0;
  if (rv_param.empty() || rv_param == "0") {
    // Unset or "0": the current state as ADDED events, then what follows.
    for (const auto& o : store_.List(t.resource, ns, &cur)) {
      if (matches(o) && !send_event("ADDED", o)) return false;
    }
  } else {
    cur = std::strtoull(rv_param.c_str(), nullptr, 10);
  }
  auto last_sent = std::chrono::steady_clock::now();
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      // A bookmark before the clean end tells the client where to resume.
      if (bookmarks) {
        cur = std::max(cur, store_.CurrentRv());
        if (!send_event("BOOKMARK", {{"kind", KindOf(t.resource)},
                                     {"apiVersion", "v1"},
                                     {"metadata", {{"resourceVersion", std::to_string(cur)}}}})) {
          return false;
        }
      }
      break;
    }
    bool expired = false;
    uint64_t oldest = 0;
    auto events = store_.EventsAfter(
        t.resource, cur, std::min(deadline, now + std::chrono::seconds(1)), &expired, &oldest);
    if (expired) {
      ApiError e = MakeStatus(
          410, "Expired",
          "too old resource version: " + std::to_string(cur) + " (" + std::to_string(oldest) + ")");
      send_event("ERROR", e.status);
      break;
    }
    for (const auto& e : events) {
      cur = e.rv;
      std::string type = e.type;
      const bool now_matches = matches(e.object);
      if (type == "MODIFIED") {
        const bool matched = matches(e.previous);
        if (!matched && !now_matches) continue;
        if (!matched) type = "ADDED";
        if (!now_matches) type = "DELETED";
      } else if (!now_matches) {
        continue;
      }
      if (!send_event(type, e.object)) return false;
      last_sent = std::chrono::steady_clock::now();
    }
    if (events.empty()) {
      if (conn.PeerClosed()) return false;
      if (bookmarks && std::chrono::steady_clock::now() - last_sent > std::chrono::seconds(10)) {
        cur = std::max(cur, store_.CurrentRv());
        if (!send_event("BOOKMARK", {{"kind", KindOf(t.resource)},
                                     {"apiVersion", "v1"},
                                     {"metadata", {{"resourceVersion", std::to_string(cur)}}}})) {
          return false;
        }
        last_sent = std::chrono::steady_clock::now();
      }
    }
  }
  return EndChunks(conn);
}

bool Server::CreateObject(Conn& conn, const Request& req, const Target& t) {
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) {
    return SendError(conn, BadRequest("the object provided is unrecognized: " +
                                      (ec ? ec.message() : std::string("not an object"))));
  }
  json::object& o = body.as_object();
  if (!o.contains("metadata") || !o["metadata"].is_object()) o["metadata"] = json::object{};
  auto& meta = o["metadata"].as_object();
  const std::string kind = FieldValue(o, "kind");
  if (!kind.empty() && kind != KindOf(t.resource)) {
    return SendError(conn,
                     BadRequest("the API version in the data (" + FieldValue(o, "apiVersion") +
                                ") does not match the expected API version (v1)"));
  }
  const std::string body_ns = FieldValue(o, "metadata.namespace");
  if (t.resource != "namespaces") {
    if (!body_ns.empty() && body_ns != t.ns) {
      return SendError(conn, BadRequest("the namespace of the provided object does not match the "
                                        "namespace sent on the request"));
    }
    meta["namespace"] = t.ns;
  }
  if (FieldValue(o, "metadata.name").empty() && !FieldValue(o, "metadata.generateName").empty()) {
    meta["name"] = FieldValue(o, "metadata.generateName") + NewUuid().substr(0, 5);
  }
  std::optional<ApiError> invalid;
  if (t.resource == "pods") invalid = PreparePod(o);
  if (!invalid && t.resource == "pods") {
    // A ResourceQuota's admission refusal, worded as the API server words it.
    std::lock_guard lock(mu_);
    if (quota_left_ > 0) {
      --quota_left_;
      return SendError(
          conn, MakeStatus(403, "Forbidden",
                           "pods \"" + FieldValue(o, "metadata.name") +
                               "\" is forbidden: exceeded quota: compute-resources, requested: "
                               "limits.memory=512Mi, used: limits.memory=2Gi, limited: "
                               "limits.memory=2Gi",
                           {{"name", FieldValue(o, "metadata.name")}, {"kind", "pods"}}));
    }
  }
  if (t.resource == "persistentvolumeclaims") invalid = PreparePvc(o);
  if (t.resource == "namespaces") {
    o["kind"] = "Namespace";
    o["apiVersion"] = "v1";
    o["status"] = {{"phase", "Active"}};
  }
  if (t.resource == "events") {
    o["kind"] = "Event";
    o["apiVersion"] = "v1";
  }
  if (invalid) return SendError(conn, *invalid);
  if (auto err = store_.Create(t.resource, o)) return SendError(conn, *err);
  if (t.resource == "pods") kubelet_.Start(o);
  return SendJson(conn, 201, o);
}

bool Server::DeleteObject(Conn& conn, const Request& req, const Target& t) {
  const std::string ns = t.resource == "namespaces" ? "" : t.ns;
  auto o = store_.Get(t.resource, ns, t.name);
  if (!o) return SendError(conn, NotFound(t.resource, t.name));
  boost::system::error_code ec;
  json::value body = req.body.empty() ? json::value(json::object{}) : json::parse(req.body, ec);
  if (ec || !body.is_object()) return SendError(conn, BadRequest("invalid DeleteOptions"));
  const json::object& opts = body.as_object();
  if (auto uid = FieldValue(opts, "preconditions.uid");
      !uid.empty() && uid != FieldValue(*o, "metadata.uid")) {
    return SendError(conn, MakeStatus(409, "Conflict",
                                      "Precondition failed: UID in precondition: " + uid +
                                          ", UID in object meta: " + FieldValue(*o, "metadata.uid"),
                                      {{"name", t.name}, {"kind", t.resource}}));
  }
  if (auto rv = FieldValue(opts, "preconditions.resourceVersion");
      !rv.empty() && rv != FieldValue(*o, "metadata.resourceVersion")) {
    return SendError(conn, Conflict(t.resource, t.name));
  }
  if (t.resource != "pods") {
    auto gone = store_.Remove(t.resource, ns, t.name);
    return gone ? SendJson(conn, 200, *gone) : SendError(conn, NotFound(t.resource, t.name));
  }
  int64_t grace = 30;
  if (auto g = o->at("spec").as_object().if_contains("terminationGracePeriodSeconds");
      g != nullptr && g->is_int64()) {
    grace = g->as_int64();
  }
  if (auto g = opts.if_contains("gracePeriodSeconds"); g != nullptr && g->is_number()) {
    grace = g->to_number<int64_t>();
  }
  if (auto g = req.Param("gracePeriodSeconds")) grace = std::atoll(g->c_str());
  const std::string phase = FieldValue(*o, "status.phase");
  // A pod that ended (or never ran) has nothing to stop: it goes at once, as on a real node.
  if (phase == "Succeeded" || phase == "Failed") grace = 0;
  const std::string uid = FieldValue(*o, "metadata.uid");
  auto marked = store_.Update(
      "pods", t.ns, t.name,
      [&](json::object& p) {
        auto& meta = p["metadata"].as_object();
        if (meta.contains("deletionTimestamp")) return false;
        meta["deletionTimestamp"] =
            Rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(grace));
        meta["deletionGracePeriodSeconds"] = grace;
        return true;
      },
      uid);
  if (!marked) return SendError(conn, NotFound("pods", t.name));
  if (kubelet_.Find(uid)) {
    kubelet_.Terminate(uid, grace);
  } else {
    (void)store_.Remove("pods", t.ns, t.name, uid);
  }
  return SendJson(conn, 200, *marked);
}

namespace {

// RFC 7386 JSON merge patch.
void MergePatch(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object{};
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      target.as_object().erase(k);
    } else {
      MergePatch(target.as_object()[k], v);
    }
  }
}

}  // namespace

bool Server::PatchObject(Conn& conn, const Request& req, const Target& t) {
  const std::string ns = t.resource == "namespaces" ? "" : t.ns;
  const std::string type = req.Header("content-type");
  if (t.verb == "patch" && type.find("json-patch+json") != std::string::npos) {
    return SendError(conn, MakeStatus(415, "UnsupportedMediaType",
                                      "the fake accepts merge patches only (application/"
                                      "merge-patch+json or strategic-merge-patch+json)"));
  }
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) return SendError(conn, BadRequest("invalid patch body"));
  std::optional<ApiError> error;
  // Only metadata.labels and metadata.annotations change; the rest of a pod is immutable here.
  auto updated = store_.Update(t.resource, ns, t.name, [&](json::object& o) {
    const std::string want_rv = FieldValue(body.as_object(), "metadata.resourceVersion");
    if (!want_rv.empty() && want_rv != FieldValue(o, "metadata.resourceVersion")) {
      error = Conflict(t.resource, t.name);
      return false;
    }
    json::value merged = o;
    if (t.verb == "patch") {
      MergePatch(merged, body);
    } else {
      merged = body;
    }
    auto& meta = o["metadata"].as_object();
    for (const char* key : {"labels", "annotations"}) {
      const json::object* m = ObjectAt(merged.as_object(), "metadata");
      const json::value* v = m != nullptr ? m->if_contains(key) : nullptr;
      if (v != nullptr && v->is_object()) {
        meta[key] = *v;
      } else {
        meta.erase(key);
      }
    }
    return true;
  });
  if (error) return SendError(conn, *error);
  if (!updated) return SendError(conn, NotFound(t.resource, t.name));
  return SendJson(conn, 200, *updated);
}

}  // namespace codeyard::kubefake
