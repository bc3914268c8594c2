// Small helpers the fuzz targets share: stopping on a broken invariant (an abort is what
// libFuzzer reports as a crash, with the input kept) and a scratch file for parsers that read
// a path. Single-threaded use, as libFuzzer calls a target.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace codeyard::fuzz {

// Prints "<target>: invariant broken: <what>" and aborts.
[[noreturn]] inline void Broken(const char* target, const std::string& what) {
  std::fprintf(stderr, "%s: invariant broken: %s\n", target, what.c_str());
  std::abort();
}

inline void Check(bool ok, const char* target, const char* what) {
  if (!ok) Broken(target, what);
}

// <dir>/codeyard-fuzz-<pid><suffix>, removed when the process exits. One per process. The
// directory is /dev/shm where it can be written (memory: a write and a truncate per input cost
// a tenth of what they cost on a disk's file system, most of a small target's time), else
// $TMPDIR, else /tmp.
inline const std::string& ScratchFile(const char* suffix) {
  static const std::string path = [suffix] {
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                            : tmp != nullptr              ? tmp
                                                          : "/tmp";
    return dir + "/codeyard-fuzz-" + std::to_string(getpid()) + suffix;
  }();
  static const bool cleanup = std::atexit([] { std::remove(path.c_str()); }) == 0;
  (void)cleanup;
  return path;
}

}  // namespace codeyard::fuzz
