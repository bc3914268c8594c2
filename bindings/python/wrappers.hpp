// The Python-facing service objects. Each holds shared_ptrs of the services it calls and of
// the Platform, so one kept after its codeyard.Codeyard was let go still works: no order of
// garbage collection leaves it pointing at a destroyed service.
//
// Threading: the wrapped services are thread-safe; the wrappers add no state of their own
// beyond TerminalHub, which has its own lock. TerminalHub wakes readers of terminals and of
// interactive runs alike.
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

// py19b: the IDE's services (ide.cpp), interactive runs (runs.cpp), events, language servers
// and ports (live.cpp), images (images.cpp).
struct SettingsService {
  std::shared_ptr<Settings> service;
};

struct SearchService {
  std::shared_ptr<FileSearch> service;
  std::shared_ptr<Platform> platform;
};

struct ArchivesService {
  std::shared_ptr<Archives> service;
  std::shared_ptr<Platform> platform;
};

struct DownloadsService {
  std::shared_ptr<Downloads> service;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Files> files;
  std::shared_ptr<Archives> archives;
};

struct RunsService {
  std::shared_ptr<RunSessions> service;
  std::shared_ptr<TerminalHub> hub;  // woken by RunSessions (set in codeyard.open)
};

struct EventsService {
  std::shared_ptr<Events> service;
};

struct LanguageServersService {
  std::shared_ptr<LanguageServers> service;
  std::shared_ptr<Platform> platform;
};

struct PortsService {
  std::shared_ptr<PortRelay> service;
  std::shared_ptr<Accounts> accounts;
  std::shared_ptr<Platform> platform;
};

struct ImagesService {
  std::string images_dir;  // Config::EffectiveImagesDir
  std::shared_ptr<Workspaces> workspaces;
};

}  // namespace codeyard::python
