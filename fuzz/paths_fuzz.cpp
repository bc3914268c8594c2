// The workspace path rule (codeyard/files.hpp NormalizePath, NormalizeName; core/files/paths):
// every file path of the API, the sync and a pod's listing goes through it. Beyond not
// crashing: a normalized path normalizes to itself, is valid UTF-8, relative, without "." or
// ".." segments, empty segments or a trailing '/'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codeyard/files.hpp"
#include "core/files/paths.hpp"
#include "fuzz_util.hpp"

namespace {

void Check(bool ok, const char* what) { codeyard::fuzz::Check(ok, "paths_fuzz", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)codeyard::IsUtf8(text);
  (void)codeyard::NormalizeName("name", text);
  auto path = codeyard::NormalizePath(text);
  if (!path) return 0;
  const std::string& p = *path;
  Check(!p.empty(), "empty result");
  Check(codeyard::IsUtf8(p), "result is not UTF-8");
  Check(p.front() != '/' && p.back() != '/', "leading or trailing '/'");
  Check(p.find("//") == std::string::npos, "empty segment");
  const std::string framed = "/" + p + "/";
  Check(framed.find("/../") == std::string::npos, "a '..' segment");
  Check(framed.find("/./") == std::string::npos, "a '.' segment");
  auto again = codeyard::NormalizePath(p);
  Check(again.has_value(), "a normalized path is refused");
  Check(*again == p, "normalizing is not idempotent");
  return 0;
}
