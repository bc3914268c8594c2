// The Subject that runs the workload through Codeyard's repositories on a Storage.
#pragma once

#include <memory>

#include "bench_storage.hpp"
#include "codeyard/backend/storage.hpp"

namespace codeyard::bench {

// Creates the bench user and workspace (not timed) and returns the Subject. `storage` and
// `workload` must outlive it. kAlreadyExists if a previous run left its data behind.
[[nodiscard]] Result<std::unique_ptr<Subject>> OpenCodeyardSubject(Storage& storage,
                                                                   const Workload& workload);

// Deletes the bench user with its workspace and items.
[[nodiscard]] Result<void> RemoveCodeyardData(Storage& storage, const Workload& workload);

}  // namespace codeyard::bench
