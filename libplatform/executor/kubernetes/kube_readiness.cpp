#include "executor/kubernetes/kube_readiness.hpp"

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>

#include "executor/kubernetes/kube_manifest.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;

const json::object* Object(const json::object& parent, std::string_view key) {
  const json::value* v = parent.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* Array(const json::object& parent, std::string_view key) {
  const json::value* v = parent.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

std::string String(const json::object& parent, std::string_view key) {
  const json::value* v = parent.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Waiting reasons after which a container never starts without someone changing something.
constexpr std::array<std::string_view, 5> kFatalWaiting = {
    "ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "CreateContainerConfigError",
    "InvalidImageName"};

std::string Describe(std::string_view name, const json::object& detail, std::string_view what) {
  std::string out = "pod " + std::string(name) + ": " + std::string(what);
  const std::string reason = String(detail, "reason");
  const std::string message = String(detail, "message");
  if (!reason.empty()) out += " (" + reason + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace

ReadinessVerdict ClassifyPod(const json::object& pod) {
  const json::object* metadata = Object(pod, "metadata");
  const json::object* status = Object(pod, "status");
  const std::string name = metadata ? String(*metadata, "name") : std::string();
  if (metadata && metadata->contains("deletionTimestamp")) {
    return {Readiness::kFailed, "pod " + name + " is being deleted"};
  }
  if (!status) return {Readiness::kWaiting, {}};
  const std::string phase = String(*status, "phase");
  if (phase == "Failed" || phase == "Succeeded") {
    std::string what = "ended (phase " + phase + ")";
    if (const json::array* containers = Array(*status, "containerStatuses")) {
      for (const json::value& c : *containers) {
        if (!c.is_object()) continue;
        const json::object* state = Object(c.get_object(), "state");
        const json::object* ended = state ? Object(*state, "terminated") : nullptr;
        if (ended) {
          if (const json::value* code = ended->if_contains("exitCode")) {
            what += ", its container exited with " + json::serialize(*code);
          }
          return {Readiness::kFailed, Describe(name, *ended, what)};
        }
      }
    }
    return {Readiness::kFailed, Describe(name, *status, what)};
  }
  for (const std::string_view key : {"initContainerStatuses", "containerStatuses"}) {
    const json::array* containers = Array(*status, key);
    if (!containers) continue;
    for (const json::value& c : *containers) {
      if (!c.is_object()) continue;
      const json::object* state = Object(c.get_object(), "state");
      const json::object* waiting = state ? Object(*state, "waiting") : nullptr;
      if (!waiting) continue;
      const std::string reason = String(*waiting, "reason");
      for (const std::string_view fatal : kFatalWaiting) {
        if (reason != fatal) continue;
        const std::string image = String(c.get_object(), "image");
        const std::string what = reason.find("Image") != std::string::npos
                                     ? "cannot pull image " + image
                                     : "its container cannot start";
        return {Readiness::kFailed, Describe(name, *waiting, what)};
      }
    }
  }
  bool ready = false;
  if (const json::array* conditions = Array(*status, "conditions")) {
    for (const json::value& c : *conditions) {
      if (!c.is_object()) continue;
      const json::object& condition = c.get_object();
      const std::string type = String(condition, "type");
      const std::string value = String(condition, "status");
      if (type == "PodScheduled" && value == "False" &&
          String(condition, "reason") == "Unschedulable") {
        return {Readiness::kUnschedulable, Describe(name, condition, "cannot be scheduled")};
      }
      if (type == "Ready" && value == "True") ready = true;
    }
  }
  if (phase == "Running" && ready) return {Readiness::kReady, {}};
  return {Readiness::kWaiting, {}};
}

int64_t ParseRfc3339Millis(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return 0;
  }
  const auto num = [&](std::size_t at, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || minute < 0 ||
      second < 0) {
    return 0;
  }
  std::size_t at = 19;
  int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  int64_t offset_s = 0;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    if (at + 6 != text.size() || text[at + 3] != ':') return 0;
    const int oh = num(at + 1, 2), om = num(at + 4, 2);
    if (oh < 0 || om < 0) return 0;
    offset_s = (text[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else if (at + 1 != text.size() || (text[at] != 'Z' && text[at] != 'z')) {
    return 0;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) return 0;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return seconds * 1000 + millis;
}

Result<PodInfo> PodInfoFromObject(const json::object& pod) {
  const json::object* metadata = Object(pod, "metadata");
  if (!metadata || String(*metadata, "name").empty()) {
    return Fail(Error::Code::kInternal, "k8s executor: the API server sent a pod without a name");
  }
  PodInfo info;
  info.id = String(*metadata, "name");
  info.created_unix_ms = ParseRfc3339Millis(String(*metadata, "creationTimestamp"));
  const json::object* annotations = Object(*metadata, "annotations");
  const std::string encoded = annotations ? String(*annotations, kSpecAnnotation) : std::string();
  auto spec = encoded.empty() ? Result<PodSpec>(PodSpec{}) : DecodeSpecAnnotation(encoded);
  if (!spec) return Fail(spec.error());
  info.spec = std::move(*spec);
  if (encoded.empty()) {
    if (const json::object* labels = Object(*metadata, "labels")) {
      for (const auto& [key, value] : *labels) {
        if (value.is_string()) info.spec.labels[std::string(key)] = std::string(value.get_string());
      }
    }
  }
  if (const json::object* spec_object = Object(pod, "spec")) {
    if (const json::array* containers = Array(*spec_object, "containers")) {
      for (const json::value& c : *containers) {
        if (!c.is_object() || String(c.get_object(), "name") != kContainerName) continue;
        if (const json::array* env = Array(c.get_object(), "env")) {
          for (const json::value& e : *env) {
            if (!e.is_object()) continue;
            const std::string key = String(e.get_object(), "name");
            if (key == "HOME" && String(e.get_object(), "value") == kHomeDir) continue;
            info.spec.env[key] = String(e.get_object(), "value");
          }
        }
      }
    }
  }
  const json::object* status = Object(pod, "status");
  const std::string phase = status ? String(*status, "phase") : std::string();
  if (metadata->contains("deletionTimestamp")) {
    info.phase = PodPhase::kTerminated;
    info.message = "being deleted";
  } else if (phase == "Running") {
    info.phase = PodPhase::kRunning;
  } else if (phase == "Succeeded" || phase == "Failed") {
    info.phase = PodPhase::kTerminated;
    info.message = ClassifyPod(pod).message;
  } else {
    info.phase = PodPhase::kPending;
    const ReadinessVerdict verdict = ClassifyPod(pod);
    info.message = verdict.message;
  }
  return info;
}

}  // namespace codeyard::kube
