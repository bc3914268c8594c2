// Repository of the pods' last recorded CPU counters (the `pod_cpu` table, migration 0020):
// what makes a pod's CPU counter (Pod::CpuMs) into additions to the usage rows without loss
// or repeat, whichever replica samples. Runs inside the caller's write transaction.
#pragma once

#include <cstdint>
#include <string_view>

#include "codeyard/backend/storage.hpp"

namespace codeyard::store::pod_cpu {

// Takes a sample `counter_ms` of pod `pod_id` (of workspace `workspace_id`) at `now`: returns
// how much it exceeds the highest one recorded before (0 for the first sample of a pod is
// the whole counter: the pod's use since it started), and records it as the new highest. The
// row is locked for the rest of the transaction, so concurrent samples of one pod add each
// millisecond once.
[[nodiscard]] Result<int64_t> Advance(Transaction& tx, std::string_view pod_id,
                                      std::string_view workspace_id, int64_t counter_ms,
                                      int64_t now);

// Forgets the rows not sampled since `before` (pods long gone); returns how many.
[[nodiscard]] Result<int64_t> Sweep(Transaction& tx, int64_t before);

}  // namespace codeyard::store::pod_cpu
