// Repository of pod records: which pod serves which workspace, owned by which server node.
// Runs inside the caller's transaction.
#pragma once

#include <string_view>
#include <vector>

#include "codeyard/backend/storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::store::pods {

// Inserts or replaces the record of the pod serving `pod.workspace_id`.
[[nodiscard]] Result<void> Upsert(Transaction& tx, const PodRecord& pod);
// kNotFound when the workspace has no pod.
[[nodiscard]] Result<PodRecord> Get(Transaction& tx, std::string_view workspace_id);
// Every pod a node owns (to reclaim them after that node restarts).
[[nodiscard]] Result<std::vector<PodRecord>> ListByNode(Transaction& tx, std::string_view node);
// Sets the state if the record still names `pod_id`; false otherwise.
[[nodiscard]] Result<bool> SetState(Transaction& tx, std::string_view workspace_id,
                                    std::string_view pod_id, std::string_view state, int64_t now);
// Removes the record; false when there was none.
[[nodiscard]] Result<bool> Delete(Transaction& tx, std::string_view workspace_id);

}  // namespace codeyard::store::pods
