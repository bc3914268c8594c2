// Repository of content blobs: file bytes stored once by their SHA-256 (hex), referenced by
// workspace items and review snapshots. Identical content is one row whoever holds it.
// Blobs are never counted: Collect deletes those nothing references (reachability), and the
// foreign keys on every reference make a collection that races a new reference fail rather
// than lose the blob (see Put). Runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codeyard/backend/storage.hpp"

namespace codeyard::store::blobs {

// Stores `content` under `sha256` (the caller's hex digest of it) unless it is there. On
// PostgreSQL the row is locked either way until the caller commits, so a concurrent Collect
// cannot delete it between this call and the caller's insert of its reference.
[[nodiscard]] Result<void> Put(Transaction& tx, std::string_view sha256, std::string_view content);

// The bytes of a blob. kNotFound when absent.
[[nodiscard]] Result<std::string> Get(Transaction& tx, std::string_view sha256);

// Deletes at most `limit` blobs that no workspace item, review snapshot, problem test or
// problem asset references;
// returns how many. A full scan of the blobs table (an index probe per blob per reference):
// run it from a periodic sweep, not per request. On a race with a new reference the
// statement fails (kFailedPrecondition, a foreign key) and nothing is deleted: run it again
// later.
[[nodiscard]] Result<int64_t> Collect(Transaction& tx, int64_t limit);

// Collect in batches of `batch`, one write transaction each, until a batch finds less to
// delete; returns the total. For the periodic sweep (Workspaces' idle reaper) and tests.
[[nodiscard]] Result<int64_t> CollectAll(Storage& storage, int64_t batch = 1000);

// How many blobs and bytes are stored (tests, metrics).
struct Totals {
  int64_t count = 0;
  int64_t bytes = 0;
};
[[nodiscard]] Result<Totals> Count(Transaction& tx);

}  // namespace codeyard::store::blobs
