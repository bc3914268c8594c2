// Runs a unit of work in a transaction and retries it when the backend reports a transient
// concurrency failure (kAborted: a deadlock or serialization failure), so callers never
// hand-roll retry loops. The work function must be safe to run again:
// it sees a fresh transaction each time and must not have side effects outside it. Inside a
// SharedRead scope, a read joins the scope's transaction instead of beginning its own.
#pragma once

#include <functional>

#include "codeyard/backend/storage.hpp"
#include "core/events/notify.hpp"
#include "core/try.hpp"

namespace codeyard::store {

inline constexpr int kDefaultAttempts = 5;

template <class F>
auto Transact(Storage& storage, TxKind kind, F&& work, int attempts = kDefaultAttempts)
    -> decltype(work(std::declval<Transaction&>())) {
  using R = decltype(work(std::declval<Transaction&>()));
  SharedRead* const shared = kind == TxKind::kRead ? SharedRead::Current(storage) : nullptr;
  for (int attempt = 1;; ++attempt) {
    if (shared != nullptr) {  // join the scope's read transaction (see SharedRead)
      auto tx = shared->Get();
      if (!tx) return R(std::unexpected(tx.error()));
      R result = work(**tx);
      if (result) return result;
      shared->Drop();
      if (result.error().code() != Error::Code::kAborted || attempt >= attempts) return result;
      continue;
    }
    const uint64_t appended = ::codeyard::events::AppendedOnThisThread();
    auto tx = storage.Begin(kind);
    if (!tx) return R(std::unexpected((tx.error())));
    R result = work(**tx);
    if (result) {
      auto committed = (*tx)->Commit();
      if (committed) {
        // Events written here wake this process's pollers now, not at their next poll.
        if (::codeyard::events::AppendedOnThisThread() != appended) {
          ::codeyard::events::NotifyCommitted();
        }
        return result;
      }
      result = R(std::unexpected(committed.error()));
    } else {
      (*tx)->Rollback();
    }
    const auto code = result.error().code();
    // kUnavailable is not retried here: the backend already waited its busy/pool timeout.
    const bool transient = code == Error::Code::kAborted;
    if (!transient || attempt >= attempts) return result;
  }
}

}  // namespace codeyard::store
