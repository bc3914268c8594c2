// A read-modify-write counter kept in a workspace item, for the "no lost update" tests in
// threads and in separate processes: each increment reads the item, writes value + 1 with
// the version it read, and retries on a conflict.
#pragma once

#include <string>

#include "codeyard/backend/storage.hpp"
#include "codeyard/id.hpp"
#include "core/store/items.hpp"
#include "core/store/transact.hpp"

namespace codeyard::testing {

inline constexpr const char* kCounterPath = "counter.txt";

// Returns the number of conflicts retried, or the first non-conflict error.
inline Result<int> IncrementCounter(Storage& storage, const std::string& workspace_id, int times) {
  int conflicts = 0;
  for (int i = 0; i < times;) {
    auto r = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
      CY_TRY(auto item,
             store::items::Get(tx, workspace_id, kCounterPath, store::items::Content::kLoad));
      const std::string next = std::to_string(std::stoll(item.content) + 1);
      CY_CHECK(store::items::WriteContent(tx, workspace_id, kCounterPath, next, Sha256Hex(next), 0,
                                          item.version));
      return {};
    });
    if (r) {
      ++i;
    } else if (r.error().code() == Error::Code::kConflict) {
      ++conflicts;
    } else {
      return Fail(r.error());
    }
  }
  return conflicts;
}

}  // namespace codeyard::testing
