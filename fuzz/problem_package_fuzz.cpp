// Problem packages (codeyard/problem_packages.hpp) as an administrator uploads them: a .zip of
// a Kattis package (legacy or 2023-07) or of our folder format, read under PackageCaps, its
// problem.yaml / testdata.yaml parsed by yaml-cpp, its LaTeX statement turned into Markdown.
// The first byte picks how the rest is read:
//   0: a whole zip (written to a scratch file: the importer reads a path), through
//      ImportPackage as the import route does;
//   1: a package's files given one by one (FuzzedDataProvider: path, then content), imported
//      as a Kattis tree and as a folder tree, which reaches the YAML and the file rules
//      without the zip's checksums in the way;
//   2: a LaTeX statement;
//   3: a problem's JSON, as the admin routes take it (ProblemFromJson).
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "core/problems/packages/formats.hpp"
#include "core/problems/packages/latex.hpp"
#include "core/problems/packages/tree.hpp"
#include "fuzz_util.hpp"

namespace {

codeyard::PackageCaps SmallCaps() {
  codeyard::PackageCaps caps;
  caps.max_total_bytes = 4 << 20;
  caps.max_file_bytes = 1 << 20;
  caps.max_files = 200;
  return caps;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      std::ofstream(codeyard::fuzz::ScratchFile(".zip"), std::ios::binary | std::ios::trunc)
          << rest;
      (void)codeyard::ImportPackage(codeyard::fuzz::ScratchFile(".zip"), SmallCaps());
      break;
    }
    case 1: {
      FuzzedDataProvider in(data + 1, size - 1);
      codeyard::packages::Tree tree;
      tree.name = "fuzz";
      while (in.remaining_bytes() > 0 && tree.files.size() < 64) {
        std::string path = in.ConsumeRandomLengthString(128);
        tree.files[std::move(path)] = in.ConsumeRandomLengthString(4096);
      }
      (void)codeyard::packages::ImportKattisTree(tree);
      (void)codeyard::packages::ImportFolderTree(tree);
      break;
    }
    case 2:
      (void)codeyard::packages::LatexToMarkdown(rest);
      break;
    default:
      (void)codeyard::ProblemFromJson(rest, "fuzz");
      break;
  }
  return 0;
}
