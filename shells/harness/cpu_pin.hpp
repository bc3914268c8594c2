// Pinning the bench and the database server processes it talks to onto one CPU. On a small
// machine (and in VMs especially) a round trip costs several times more when the client and
// a PostgreSQL backend run on different CPUs, and the scheduler places each backend as it
// likes, so two sides with their own backends can differ by 3x for no reason of their own.
// Putting both backends on the client's CPU makes the sides comparable. Linux only.
#pragma once

#include <sys/types.h>

#include <string>

#include "codeyard/error.hpp"

namespace codeyard::bench {

// Pins the calling thread to the CPU it runs on now; returns that CPU.
[[nodiscard]] Result<int> PinSelf();

// Pins another local process to `cpu`, after checking that it is a PostgreSQL backend
// (/proc/<pid>/comm is "postgres"). Errors: kNotFound when no such local process exists
// (a remote server), kPermissionDenied without the right to (another user, no root).
[[nodiscard]] Result<void> PinServerProcess(pid_t pid, int cpu);

// Lets a process run on every CPU again (undoing PinServerProcess). Best effort.
void UnpinProcess(pid_t pid);

}  // namespace codeyard::bench
