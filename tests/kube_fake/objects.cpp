// Validation, defaults and Table output of the objects the fake serves.
#include <chrono>

#include "codeyard/id.hpp"
#include "server.hpp"

namespace codeyard::kubefake {

namespace {

std::string Label1123(const std::string& name) {
  if (name.empty()) return "Required value";
  bool ok = name.size() <= 63 && std::isalnum(static_cast<unsigned char>(name.front())) &&
            std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      ok = false;
    }
  }
  return ok ? ""
            : "Invalid value: \"" + name +
                  "\": a lowercase RFC 1123 label must consist of lower case alphanumeric "
                  "characters or '-', and must start and end with an alphanumeric character "
                  "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
}

void NameCause(const json::object& o, std::vector<Cause>& causes) {
  const std::string err = CheckSubdomain(FieldValue(o, "metadata.name"));
  if (!err.empty()) {
    causes.push_back({"metadata.name", err,
                      err.starts_with("Required") ? "FieldValueRequired" : "FieldValueInvalid"});
  }
}

std::string Age(const std::string& created) {
  auto t = ParseRfc3339(created);
  if (!t) return "<unknown>";
  const int64_t s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *t)
          .count();
  if (s < 120) return std::to_string(std::max<int64_t>(s, 0)) + "s";
  if (s < 600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  if (s < 3 * 3600) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

json::object Column(const std::string& name, const std::string& type, int priority,
                    const std::string& format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", name},
          {"priority", priority}};
}

std::string PodStatusText(const json::object& pod) {
  if (!FieldValue(pod, "metadata.deletionTimestamp").empty()) return "Terminating";
  if (auto reason = FieldValue(pod, "status.reason"); !reason.empty()) return reason;
  const std::string phase = FieldValue(pod, "status.phase");
  const json::object* status = ObjectAt(pod, "status");
  const json::value* cs = status != nullptr ? status->if_contains("containerStatuses") : nullptr;
  if (cs != nullptr && cs->is_array() && !cs->as_array().empty()) {
    const json::object& c = cs->as_array().front().as_object();
    if (auto r = FieldValue(c, "state.terminated.reason"); !r.empty()) return r;
    if (auto r = FieldValue(c, "state.waiting.reason"); !r.empty()) return r;
  } else if (phase == "Pending" && !FieldValue(pod, "spec.nodeName").empty()) {
    return "ContainerCreating";
  }
  return phase;
}

}  // namespace

std::optional<ApiError> PreparePod(json::object& pod) {
  // Every key of `pod` is in place before pointers into it are taken (an insert rehashes).
  pod["kind"] = "Pod";
  pod["apiVersion"] = "v1";
  pod["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
  if (!pod.contains("spec") || !pod["spec"].is_object()) pod["spec"] = json::object{};
  std::vector<Cause> causes;
  NameCause(pod, causes);
  json::object* spec = pod.contains("spec") ? pod["spec"].if_object() : nullptr;
  json::array* containers = nullptr;
  if (spec != nullptr && spec->contains("containers")) {
    containers = (*spec)["containers"].if_array();
  }
  if (containers == nullptr || containers->empty()) {
    causes.push_back({"spec.containers", "Required value", "FieldValueRequired"});
  } else {
    for (size_t i = 0; i < containers->size(); ++i) {
      const std::string at = "spec.containers[" + std::to_string(i) + "]";
      json::object* c = (*containers)[i].if_object();
      if (c == nullptr) {
        causes.push_back({at, "Invalid value: not an object"});
        continue;
      }
      const std::string err = Label1123(FieldValue(*c, "name"));
      if (!err.empty()) {
        causes.push_back({at + ".name", err,
                          err == "Required value" ? "FieldValueRequired" : "FieldValueInvalid"});
      }
      if (FieldValue(*c, "image").empty()) {
        causes.push_back({at + ".image", "Required value", "FieldValueRequired"});
      }
      if (!c->contains("imagePullPolicy")) (*c)["imagePullPolicy"] = "IfNotPresent";
      if (!c->contains("terminationMessagePath")) {
        (*c)["terminationMessagePath"] = "/dev/termination-log";
      }
      if (!c->contains("resources")) (*c)["resources"] = json::object{};
    }
  }
  if (!causes.empty()) return Invalid("Pod", FieldValue(pod, "metadata.name"), causes);
  if (!spec->contains("restartPolicy")) (*spec)["restartPolicy"] = "Always";
  if (!spec->contains("terminationGracePeriodSeconds")) {
    (*spec)["terminationGracePeriodSeconds"] = 30;
  }
  if (!spec->contains("dnsPolicy")) (*spec)["dnsPolicy"] = "ClusterFirst";
  if (!spec->contains("schedulerName")) (*spec)["schedulerName"] = "default-scheduler";
  if (!spec->contains("securityContext")) (*spec)["securityContext"] = json::object{};
  return std::nullopt;
}

std::optional<ApiError> PreparePvc(json::object& pvc) {
  std::vector<Cause> causes;
  NameCause(pvc, causes);
  const json::object* spec = ObjectAt(pvc, "spec");
  const json::value* modes = spec != nullptr ? spec->if_contains("accessModes") : nullptr;
  if (modes == nullptr || !modes->is_array() || modes->as_array().empty()) {
    causes.push_back({"spec.accessModes", "Required value: at least 1 access mode is required",
                      "FieldValueRequired"});
  }
  const std::string storage = FieldValue(pvc, "spec.resources.requests.storage");
  if (storage.empty()) {
    causes.push_back({"spec.resources[storage]", "Required value", "FieldValueRequired"});
  }
  if (!causes.empty()) {
    return Invalid("PersistentVolumeClaim", FieldValue(pvc, "metadata.name"), causes);
  }
  pvc["kind"] = "PersistentVolumeClaim";
  pvc["apiVersion"] = "v1";
  pvc["status"] = json::object{};
  auto& s = pvc["spec"].as_object();
  // A PVC is Bound at once: the fake has a provisioner that never waits.
  s["volumeName"] = "pvc-" + NewUuid();
  if (!s.contains("storageClassName")) s["storageClassName"] = "standard";
  if (!s.contains("volumeMode")) s["volumeMode"] = "Filesystem";
  pvc["status"].as_object() = {
      {"phase", "Bound"}, {"accessModes", s["accessModes"]}, {"capacity", {{"storage", storage}}}};
  return std::nullopt;
}

json::object MakeTable(const std::string& resource, const std::vector<json::object>& objects,
                       uint64_t rv, bool include_object) {
  json::array columns;
  json::array rows;
  const bool pods = resource == "pods";
  if (pods) {
    columns = {Column("Name", "string", 0, "name"),
               Column("Ready", "string", 0),
               Column("Status", "string", 0),
               Column("Restarts", "string", 0),
               Column("Age", "string", 0),
               Column("IP", "string", 1),
               Column("Node", "string", 1),
               Column("Nominated Node", "string", 1),
               Column("Readiness Gates", "string", 1)};
  } else if (resource == "persistentvolumeclaims") {
    columns = {Column("Name", "string", 0, "name"), Column("Status", "string", 0),
               Column("Volume", "string", 0), Column("Capacity", "string", 0),
               Column("Age", "string", 0)};
  } else {
    columns = {Column("Name", "string", 0, "name"), Column("Age", "string", 0)};
  }
  for (const auto& o : objects) {
    json::array cells;
    const std::string name = FieldValue(o, "metadata.name");
    const std::string age = Age(FieldValue(o, "metadata.creationTimestamp"));
    if (pods) {
      const bool ready = FieldValue(o, "status.phase") == "Running" &&
                         FieldValue(o, "metadata.deletionTimestamp").empty();
      const std::string ip = FieldValue(o, "status.podIP");
      const std::string node = FieldValue(o, "spec.nodeName");
      cells = {json::value(name),
               json::value(ready ? "1/1" : "0/1"),
               json::value(PodStatusText(o)),
               json::value("0"),
               json::value(age),
               json::value(ip.empty() ? "<none>" : ip),
               json::value(node.empty() ? "<none>" : node),
               json::value("<none>"),
               json::value("<none>")};
    } else if (resource == "persistentvolumeclaims") {
      cells = {json::value(name), json::value(FieldValue(o, "status.phase")),
               json::value(FieldValue(o, "spec.volumeName")),
               json::value(FieldValue(o, "status.capacity.storage")), json::value(age)};
    } else {
      cells = {json::value(name), json::value(age)};
    }
    json::object row{{"cells", std::move(cells)}};
    if (include_object) {
      row["object"] = o;
    } else {
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", o.at("metadata")}};
    }
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", std::to_string(rv)}}},
          {"columnDefinitions", std::move(columns)},
          {"rows", std::move(rows)}};
}

}  // namespace codeyard::kubefake
