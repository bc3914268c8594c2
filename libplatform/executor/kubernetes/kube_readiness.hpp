// Reading a Pod object's status: whether it is ready for exec, whether it can never become
// ready (and why, in words an operator acts on), and the PodInfo it maps to. Pure functions
// of the JSON the API server returns, unit-tested on real status shapes; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "codeyard/backend/executor.hpp"
#include "codeyard/error.hpp"

namespace codeyard::kube {

enum class Readiness {
  kReady,          // phase Running, condition Ready=True, not being deleted
  kWaiting,        // may still become ready
  kUnschedulable,  // PodScheduled=False/Unschedulable: fatal once the budget has passed
  kFailed,         // never will: image pull, crash loop, config error, ended, deleted
};

struct ReadinessVerdict {
  Readiness state = Readiness::kWaiting;
  std::string message;  // why, for kUnschedulable and kFailed
};

[[nodiscard]] ReadinessVerdict ClassifyPod(const boost::json::object& pod);

// The PodInfo of a Pod object: id = metadata.name; Running (and not being deleted) is
// kRunning, Succeeded/Failed or a deletionTimestamp kTerminated, anything else kPending;
// the spec from our annotation (labels from metadata.labels without it), env from the
// container. kInternal when the object has no name.
[[nodiscard]] Result<PodInfo> PodInfoFromObject(const boost::json::object& pod);

// RFC 3339 ("2026-12-06T18:29:20Z", fractions and offsets allowed) as Unix milliseconds;
// 0 when it does not parse.
[[nodiscard]] int64_t ParseRfc3339Millis(std::string_view text);

}  // namespace codeyard::kube
