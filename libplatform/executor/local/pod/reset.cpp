// Reset: the init makes its pod fit for the next program (Pod::Reset, protocol.hpp). Kept apart
// from the exec loop: it is the one handler that may block the loop, for as long as the pod's
// processes take to die and its scratch directories take to empty (milliseconds; bounded).
#include <dirent.h>
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <string>

#include "core/try.hpp"
#include "executor/local/pod/init_loop.hpp"

namespace codeyard::local::pod {
namespace {

namespace json = boost::json;

// How long the pod's processes get to die. SIGKILL cannot be caught; only a process stuck in
// the kernel (uninterruptible I/O) outlives it, and such a pod is not fit for reuse.
constexpr int64_t kKillDeadlineMs = 5000;
// Deeper trees are refused rather than followed (each level holds a descriptor and a frame of
// this process): the caller then deletes the pod, which frees any tree with the tmpfs.
constexpr int kMaxDepth = 200;

#ifndef SHM_STAT_ANY
constexpr int SHM_STAT_ANY = 15;
#endif
#ifndef MSG_STAT_ANY
constexpr int MSG_STAT_ANY = 13;
#endif
#ifndef SEM_STAT_ANY
constexpr int SEM_STAT_ANY = 20;
#endif

void SleepMs(int ms) {
  timespec delay{0, static_cast<long>(ms) * 1000000L};
  while (::nanosleep(&delay, &delay) != 0 && errno == EINTR) {
  }
}

// Empties the directory `dir` (not closed); a subdirectory a program made unreadable is made
// readable first: the init is the same user as every program of the pod, so it may. A mount
// point inside (a read-only bind the pod was given, `ro_bind=` under /tmp) is not the
// programs': it stays, with the directories leading to it, and `*kept` says so.
Result<void> EmptyDirectory(int dir, int depth, bool* kept) {
  if (depth > kMaxDepth) {
    return Fail(Error::Code::kResourceExhausted,
                "a directory tree deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  struct stat here {};
  if (::fstat(dir, &here) != 0) return std::unexpected(SystemError("stat a directory to empty"));
  const int listing = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing < 0) return std::unexpected(SystemError("open a directory to empty"));
  DIR* stream = ::fdopendir(listing);
  if (stream == nullptr) {
    ::close(listing);
    return std::unexpected(SystemError("fdopendir"));
  }
  Result<void> outcome;
  while (outcome) {
    errno = 0;
    const dirent* entry = ::readdir(stream);
    if (entry == nullptr) {
      if (errno != 0) outcome = std::unexpected(SystemError("readdir"));
      break;
    }
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat info {};
    if (::fstatat(dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      outcome = std::unexpected(SystemError("stat " + name));
      break;
    }
    if (S_ISDIR(info.st_mode)) {
      if (info.st_dev != here.st_dev) {  // a mount point: not the programs' to remove
        *kept = true;
        continue;
      }
      if ((info.st_mode & 0700) != 0700) (void)::fchmodat(dir, name.c_str(), 0700, 0);
      const int child =
          ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        outcome = std::unexpected(SystemError("open " + name));
        break;
      }
      bool child_kept = false;
      outcome = EmptyDirectory(child, depth + 1, &child_kept);
      ::close(child);
      if (!outcome) break;
      if (child_kept) {
        *kept = true;
        continue;
      }
      if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        outcome = std::unexpected(SystemError("remove " + name));
      }
    } else if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
      outcome = std::unexpected(SystemError("remove " + name));
    }
  }
  ::closedir(stream);  // closes `listing`
  return outcome;
}

// /tmp and /dev/shm are mounts whose roots the pod user does not own (root_fs.cpp), so their
// modes are as the pod started; only their content is the programs'.
Result<void> EmptyPath(const char* path) {
  const int dir = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return std::unexpected(SystemError(std::string("open ") + path));
  bool kept = false;
  auto emptied = EmptyDirectory(dir, 0, &kept);
  ::close(dir);
  return emptied;
}

// System V IPC objects live in the pod's IPC namespace, not in any process: a program could
// leave a shared memory segment, a message queue or a semaphore set behind for the next one.
// The *_STAT_ANY commands (Linux 4.17) list them whatever their permissions; the pod user owns
// them all, so it may remove them.
void RemoveIpcObjects() {
  shm_info shm{};
  const int shm_max = ::shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&shm));
  for (int index = 0; index <= shm_max; ++index) {
    shmid_ds ds{};
    const int id = ::shmctl(index, SHM_STAT_ANY, &ds);
    if (id >= 0) (void)::shmctl(id, IPC_RMID, nullptr);
  }
  msginfo msg{};
  const int msg_max = ::msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&msg));
  for (int index = 0; index <= msg_max; ++index) {
    msqid_ds ds{};
    const int id = ::msgctl(index, MSG_STAT_ANY, &ds);
    if (id >= 0) (void)::msgctl(id, IPC_RMID, nullptr);
  }
  seminfo sem{};
  const int sem_max = ::semctl(0, 0, SEM_INFO, &sem);
  for (int index = 0; index <= sem_max; ++index) {
    semid_ds ds{};
    const int id = ::semctl(index, 0, SEM_STAT_ANY, &ds);
    if (id >= 0) (void)::semctl(id, 0, IPC_RMID);
  }
}

}  // namespace

void InitLoop::OnReset(Message message) {
  if (message.fds.size() != 1) {
    CloseAll(message.fds);  // nowhere to answer
    return;
  }
  UniqueFd reply(message.fds.front());
  message.fds.clear();

  Result<void> outcome;
  const int64_t deadline = NowMs() + kKillDeadlineMs;
  if (container_) {
    outcome = KillOthers(requester_, deadline);  // container_reset.cpp
  } else {
    // PID 1's kill(-1) reaches every other process of the pod's pid namespace at once, whatever
    // its session or group: background jobs, double-forked daemons, terminal sessions. A fork
    // racing the kill fails (the parent has a fatal signal pending), and every orphan is
    // re-parented to PID 1, so "no child left" (ECHILD) means no other process is left.
    while (true) {
      ::kill(-1, SIGKILL);
      int wait_status = 0;
      rusage usage{};
      const pid_t pid = ::wait4(-1, &wait_status, WNOHANG, &usage);
      if (pid > 0) {
        OnReaped(pid, wait_status, usage);
        continue;
      }
      if (pid < 0 && errno == ECHILD) break;
      if (pid < 0 && errno != EINTR) {
        outcome = std::unexpected(SystemError("wait for the pod's processes"));
        break;
      }
      if (NowMs() > deadline) {
        outcome = Fail(Error::Code::kUnavailable, "a process of the pod did not die within " +
                                                      std::to_string(kKillDeadlineMs) + " ms");
        break;
      }
      SleepMs(1);
    }
  }
  ArmTimer();

  if (outcome) {
    RemoveIpcObjects();
    // The pod user owns the workspace's root, so a program may have changed its mode: back to
    // the one it started with (root_fs.cpp), first, so that it can be read.
    if (::fchmod(workspace_.get(), 0755) != 0) {
      outcome = std::unexpected(SystemError("restore the workspace's mode"));
    }
    bool kept = false;
    if (outcome) outcome = EmptyDirectory(workspace_.get(), 0, &kept);
  }
  if (outcome) outcome = EmptyPath("/tmp");
  if (outcome) outcome = EmptyPath("/dev/shm");

  if (!outcome) {
    (void)SendMessage(reply.get(), ErrorMessage(outcome.error().WithContext("reset")));
    return;
  }
  json::object done;
  done["type"] = "reset";
  (void)SendMessage(reply.get(), done);
}

}  // namespace codeyard::local::pod
