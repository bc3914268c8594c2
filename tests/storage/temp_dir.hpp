// A temporary directory for a test, removed with everything in it when destroyed: what the
// storage suites' databases and the Kubernetes client tests' files and API servers live in.
// Header-only, so every test program can use it without linking a fixture. One test thread
// owns each TempDir.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace codeyard::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "codeyard-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // Writes `name` whole, by a rename, so a reader polling for it never sees half of it.
  void Write(const std::string& name, const std::string& text) const {
    const auto tmp = path_ / (name + ".tmp");
    std::ofstream(tmp, std::ios::binary) << text;
    std::filesystem::rename(tmp, path_ / name);
  }
  [[nodiscard]] std::string Read(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace codeyard::testing
