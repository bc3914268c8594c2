// A package read into memory: every file by its path relative to the package root ("data/
// sample/1.in"), loaded from a folder or a .zip under PackageCaps, and written back out. The
// importers parse only this, so a folder and a zip are read by the same code and no parser
// touches the file system. Plain values; thread-safe as values are.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/problem_packages.hpp"

namespace codeyard::packages {

struct Tree {
  std::string name;  // the package's short name: folder name or zip base name, lowercased
  std::map<std::string, std::string, std::less<>> files;

  [[nodiscard]] const std::string* Find(std::string_view path) const;
  // Paths under `prefix` (which ends with '/'), in order.
  [[nodiscard]] std::vector<std::string> Under(std::string_view prefix) const;
  // Whether any file lies under `prefix` (which ends with '/').
  [[nodiscard]] bool HasDir(std::string_view prefix) const;
};

// Reads a folder or a .zip/.kpp file. A zip whose files all sit in one top folder (and has no
// problem.yaml at its root) is read from inside that folder.
[[nodiscard]] Result<Tree> LoadTree(const std::filesystem::path& path, const PackageCaps& caps);

// Writes every file under `dir`, which must be absent or empty.
[[nodiscard]] Result<void> WriteTree(const Tree& tree, const std::filesystem::path& dir);

// "hello" for "/x/hello", "/x/hello/", "/x/hello.zip".
[[nodiscard]] std::string ShortName(const std::filesystem::path& path);

}  // namespace codeyard::packages
