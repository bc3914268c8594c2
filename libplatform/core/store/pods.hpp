// Repository of pod leases: the `pods` row is the one record of which pod serves a workspace
// and which server replica holds it, until when (lease_until), under which fencing token
// (generation). Every replica reads and writes it; none keeps the truth in memory. Runs
// inside the caller's transaction (call from store::Transact: a claim may be retried).
//
// Fencing: Renew, SetPod, Release and Fence succeed only for the (replica, generation) that
// the last claim wrote. Once another replica has claimed the row (the lease expired) they
// fail kFailedPrecondition, message "pods: stale lease ...", and the stale holder must stop
// acting for the pod: see IsStaleLease.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::pods {

inline constexpr std::string_view kStarting = "starting";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kReleased = "released";

// What a claim asks for. The limits count every workspace pod in storage that is not
// released (held, or expired but not yet taken over: its pod may still run), across all
// replicas, the claimed workspace itself excepted.
struct ClaimRequest {
  std::string_view workspace_id;
  std::string_view owner_id;  // the workspace's owner, for the per-user limit
  std::string_view replica;
  std::string_view executor;
  int64_t now = 0;
  int64_t lease_ms = 0;
  int max_running_per_user = 0;        // workspace.max_running_per_user
  int max_running_total = 0;           // workspace.max_running_total
  uint64_t pod_memory_bytes = 0;       // what each pod's limit reserves (0: not counted)
  uint64_t memory_capacity_bytes = 0;  // workspace.memory_capacity_bytes
  // Take the lease even from a live holder (a stop, or a sync pass on another replica than
  // the holder's): the old holder's next fenced write, renewal or release is then refused.
  bool take_live = false;
  // Off for claims that only end a pod (stop, delete): those never add one.
  bool check_limits = true;
};

enum class ClaimOutcome {
  kNew,        // no live row: a new lease (state starting, no pod yet); limits were checked
  kOwn,        // this replica held it already: the lease is renewed, the generation bumped
  kTakenOver,  // another replica's lease had expired (or take_live): now ours, pod_id kept
  kHeld,       // another replica holds a live lease: nothing written, `lease` says who
};

struct Claimed {
  PodRecord lease;
  ClaimOutcome outcome = ClaimOutcome::kNew;
};

// Compare-and-swap claim of a workspace's lease. Serialized against every other claim on the
// database (a row lock on PostgreSQL, the single writer on SQLite), so the limits it checks
// hold across replicas. kResourceExhausted (with the limit key) past a limit.
[[nodiscard]] Result<Claimed> Claim(Transaction& tx, const ClaimRequest& request);

// Extends the lease to now + lease_ms. Stale holder: kFailedPrecondition.
[[nodiscard]] Result<void> Renew(Transaction& tx, std::string_view workspace_id,
                                 std::string_view replica, int64_t generation, int64_t now,
                                 int64_t lease_ms);

// Records the pod the holder started (state running). Stale holder: kFailedPrecondition.
[[nodiscard]] Result<void> SetPod(Transaction& tx, std::string_view workspace_id,
                                  std::string_view replica, int64_t generation,
                                  std::string_view pod_id, int64_t now);

// Gives the lease up (state released, no pod): the workspace no longer counts against the
// limits. The row stays so the next claim's generation is still higher. Stale: kFailedPrecondition.
[[nodiscard]] Result<void> Release(Transaction& tx, std::string_view workspace_id,
                                   std::string_view replica, int64_t generation, int64_t now);

// The fencing check for any write transaction made on behalf of a pod: succeeds when
// (replica, generation) still holds the lease, and then keeps the row locked until the
// transaction ends, so no claim can move the lease before those writes commit.
[[nodiscard]] Result<void> Fence(Transaction& tx, std::string_view workspace_id,
                                 std::string_view replica, int64_t generation);

// True for the error of a stale holder (Renew, SetPod, Release, Fence, and a pod's refusal
// of its fencing token through StaleInPod).
[[nodiscard]] bool IsStaleLease(const Error& error);

// The stale-holder error for a pod that refused `generation` as its fencing token
// (Pod::Fenced: a newer holder has used the pod since). faults21.
[[nodiscard]] Error StaleInPod(std::string_view workspace_id, int64_t generation,
                               const Error& refusal);

// kNotFound when the workspace never had a pod.
[[nodiscard]] Result<PodRecord> Get(Transaction& tx, std::string_view workspace_id);

// Every lease that is not released, oldest lease first.
[[nodiscard]] Result<std::vector<PodRecord>> ListHeld(Transaction& tx);

// Removes the record; false when there was none.
[[nodiscard]] Result<bool> Delete(Transaction& tx, std::string_view workspace_id);

}  // namespace codeyard::store::pods
