// Workspace images: root file systems made from Debian packages with debootstrap, kept under
// one directory (`<data_dir>/images` by default), each `<images>/<name>/` holding `root/` (the
// file system a pod sees as its /usr, /bin, /lib* and selected /etc entries, read-only) and
// `manifest.json` (the packages asked for, key versions, size, creation time). The host's own
// /usr stays the default; a pod, workspace, job or problem that names an image gets that image
// instead, so a local workspace can have what the host cannot install (python3-scipy conflicts
// with the Boost -dev packages the build needs). Building needs root; listing does not.
// Threading: the functions are free functions over the file system, safe from any thread; an
// image is made by renaming a finished directory into place, so readers never see half of one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard::images {

struct ImageInfo {
  std::string name;
  std::vector<std::string> packages;            // as asked for (--packages or the default)
  std::map<std::string, std::string> versions;  // installed: python3, numpy, scipy, ...
  std::string suite;                            // "bookworm"
  std::string mirror;                           // the apt source debootstrap read from
  int64_t size_bytes = 0;                       // disk used by root/
  int64_t created_unix_ms = 0;
};

// The seeds' runtimes (Python 3 with numpy, scipy, pandas, matplotlib; Node.js; gcc, g++)
// and CA certificates for pods with network.
[[nodiscard]] std::vector<std::string> DefaultPackages();

// A name is 1-63 of [a-z0-9-_.], starting with a letter or digit (it becomes a directory).
[[nodiscard]] Result<void> ValidateName(std::string_view name);

// `<images_dir>/<name>`, the image's directory (root/ and manifest.json inside).
[[nodiscard]] std::string ImageDir(std::string_view images_dir, std::string_view name);

// An apt source of the host, found in `<etc_apt>/sources.list`, `sources.list.d/*.list` and
// deb822 `sources.list.d/*.sources` (disabled entries and other suffixes are ignored).
struct AptSource {
  std::string uri;      // http://deb.debian.org/debian
  std::string keyring;  // Signed-By when it names a file, else ""
};
// The first `deb` source serving `suite`; kNotFound when none does.
[[nodiscard]] Result<AptSource> FindAptSource(const std::string& etc_apt, std::string_view suite);

struct BuildOptions {
  std::string images_dir;
  std::string name;
  std::vector<std::string> packages = DefaultPackages();
  std::string suite = "bookworm";
  std::string mirror;  // "" = FindAptSource("/etc/apt", suite)
  // Called with each progress line (debootstrap's "I: ..." phases, then our own steps).
  std::function<void(std::string_view)> progress;
};

// Runs `debootstrap --variant=minbase --include=<packages> <suite> <tmp> <mirror>` into a
// temporary directory under images_dir, writes the manifest, then renames it to
// `<images_dir>/<name>`. On failure nothing is left behind. Errors: kPermissionDenied when
// not root, kFailedPrecondition when debootstrap is missing, kAlreadyExists when the image
// exists, kInvalidArgument for a bad name or package, kUnavailable when debootstrap fails
// (the message holds its last lines).
[[nodiscard]] Result<ImageInfo> Build(const BuildOptions& options);

// Every finished image, by name. A missing images_dir lists none.
[[nodiscard]] Result<std::vector<ImageInfo>> List(const std::string& images_dir);

// One image's manifest; kNotFound naming it when it does not exist.
[[nodiscard]] Result<ImageInfo> Get(const std::string& images_dir, std::string_view name);

// For a workspace, job or problem naming `name`: kInvalidArgument naming the image unless it
// is a valid name and, with a non-empty images_dir, an image there.
[[nodiscard]] Result<void> CheckKnown(const std::string& images_dir, std::string_view name);

// Deletes an image. Refused (kFailedPrecondition) while a running pod uses it: pods bind the
// image's own files, so deleting them would pull them from under the pod. The pod's init
// holds a shared lock on the manifest for its lifetime; this takes it exclusively.
[[nodiscard]] Result<void> Remove(const std::string& images_dir, std::string_view name);

}  // namespace codeyard::images
