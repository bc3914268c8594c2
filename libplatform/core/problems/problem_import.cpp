// Problems::Import: an uploaded package zip, read by the same importer as the CLI's
// (ImportPackage) from a private temporary file, so the caps, the formats and the errors are
// one code path whichever way a package arrives.
#include <stdlib.h>
#include <unistd.h>
#include <zip.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "codeyard/problem_store.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

namespace fs = std::filesystem;

// Removes its folder, whatever happens.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

Result<void> WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    return Fail(Error::Code::kInternal,
                "problems: cannot write the uploaded package to " + path.string());
  }
  return {};
}

// The one folder every entry of the zip sits in ("hello" for hello/problem.yaml, ...), or "".
std::string TopFolder(const fs::path& zip_path) {
  int error = 0;
  std::unique_ptr<zip_t, decltype(&zip_discard)> archive(
      zip_open(zip_path.c_str(), ZIP_RDONLY, &error), &zip_discard);
  if (!archive) return "";
  std::string top;
  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* name = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr) return "";
    const std::string_view entry(name);
    const std::size_t slash = entry.find('/');
    if (slash == std::string_view::npos || slash == 0) return "";
    const std::string_view folder = entry.substr(0, slash);
    if (top.empty()) {
      top = folder;
    } else if (top != folder) {
      return "";
    }
  }
  for (char& c : top) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return top;
}

}  // namespace

Result<ImportedProblem> Problems::Import(std::string_view caller_id, std::string_view zip,
                                         const ProblemImportOptions& options,
                                         const PackageCaps& caps) {
  CY_TRY(const bool admin, IsAdmin(caller_id));
  if (!admin) return Fail(Error::Code::kPermissionDenied, "problems: only admins change problems");
  if (zip.empty()) return Fail(Error::Code::kInvalidArgument, "problems: the package is empty");
  // The compressed upload counts against the package's total as its contents do.
  if (zip.size() > caps.max_total_bytes) {
    return Fail(Error::Code::kResourceExhausted, "problems: the package of " +
                                                     std::to_string(zip.size()) +
                                                     " bytes exceeds problems.max_package_bytes (" +
                                                     std::to_string(caps.max_total_bytes) + ")");
  }
  if (!(options.time_limit_s >= 0) || options.time_limit_s > 60) {
    return Fail(Error::Code::kInvalidArgument, "problems: time_limit_s must be in (0, 60]");
  }
  std::error_code ec;
  std::string pattern = (fs::temp_directory_path(ec) / "codeyard-import-XXXXXX").string();
  if (ec || ::mkdtemp(pattern.data()) == nullptr) {
    return Fail(Error::Code::kInternal,
                std::string("problems: cannot make a temporary folder: ") + std::strerror(errno));
  }
  TempDir dir{pattern};
  const fs::path upload = dir.path / "upload.zip";
  CY_CHECK(WriteFile(upload, zip));
  std::string id = options.id;
  if (id.empty()) {
    id = TopFolder(upload);
    if (id.empty()) {
      return Fail(Error::Code::kInvalidArgument,
                  "problems: the zip does not hold one top folder to name the problem; give ?id=");
    }
  }
  // The importer names the problem after the file, so the file takes the problem's name; an
  // id that could not be a file name is refused by ValidateProblem below anyway.
  if (id.find('/') != std::string::npos || id == "." || id == "..") {
    return Fail(Error::Code::kInvalidArgument, "problems: invalid problem id '" + id + "'");
  }
  const fs::path named = dir.path / (id + ".zip");
  fs::rename(upload, named, ec);
  if (ec) {
    return Fail(Error::Code::kInternal, "problems: cannot name the upload: " + ec.message());
  }
  CY_TRY(ProblemPackage package, ImportPackage(named, caps));
  package.problem.id = id;
  if (package.fixed_time_limit_s) {
    package.problem.limits.time_limit_s = *package.fixed_time_limit_s;
  } else if (options.time_limit_s > 0) {
    package.problem.limits.time_limit_s = options.time_limit_s;
  } else {
    return Fail(Error::Code::kInvalidArgument,
                "problems: package '" + id +
                    "' fixes no time limit; give ?time_limit_s= (or import it with the CLI, "
                    "which computes one from its accepted submissions)");
  }
  CY_TRY(Problem stored, Put(caller_id, std::move(package.problem)));
  return ImportedProblem{std::move(stored), package.format};
}

}  // namespace codeyard
