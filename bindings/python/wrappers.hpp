// The Python-facing service objects. Each holds shared_ptrs of the services it calls and of
// the Platform, so one kept after its codeyard.Codeyard was let go still works: no order of
// garbage collection leaves it pointing at a destroyed service.
//
// Threading: the wrapped services are thread-safe; the wrappers add no state of their own
// beyond TerminalHub, which has its own lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "codeyard/services.hpp"

namespace codeyard::python {

struct WorkspacesService {
  std::shared_ptr<Workspaces> service;
  std::shared_ptr<Platform> platform;
};

struct FilesService {
  std::shared_ptr<Files> service;
  std::shared_ptr<Platform> platform;
};

// Wakes readers of terminals: Terminals calls the wake function (any thread, maybe under its
// lock) when a viewer has something new; readers wait for the generation to move.
struct TerminalHub {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t generation = 0;
  void Wake() {
    {
      std::lock_guard lock(mu);
      ++generation;
    }
    cv.notify_all();
  }
};

struct TerminalsService {
  std::shared_ptr<Terminals> service;
  std::shared_ptr<TerminalHub> hub;
};

struct JobsService {
  std::shared_ptr<Jobs> service;
};

struct ProblemsService {
  std::shared_ptr<Problems> service;
  PackageCaps caps;
};

struct SubmissionsService {
  std::shared_ptr<Submissions> service;
};

struct ReviewsService {
  std::shared_ptr<Reviews> service;
};

}  // namespace codeyard::python
