// Loading a package under its caps. Everything is checked before it is kept: a path that
// climbs out of the package, a symlink leaving it, a device or fifo, a file or total over the
// size caps, too many files, too deep, or a zip entry compressed past the ratio cap (a bomb)
// or holding more bytes than its header claims.
#include "core/problems/packages/tree.hpp"

#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

namespace codeyard::packages {
namespace fs = std::filesystem;
namespace {

Error Cap(const std::string& name, const std::string& what) {
  return {Error::Code::kResourceExhausted, "package " + name + ": " + what};
}

Error Bad(const std::string& name, const std::string& what) {
  return {Error::Code::kInvalidArgument, "package " + name + ": " + what};
}

bool IsZip(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".zip" || ext == ".kpp";
}

int Depth(std::string_view rel) {
  return static_cast<int>(std::count(rel.begin(), rel.end(), '/'));
}

// Counts one file against the caps.
struct Budget {
  const PackageCaps& caps;
  const std::string& name;
  int64_t files = 0;
  uint64_t bytes = 0;

  Result<void> Add(const std::string& rel, uint64_t size) {
    if (++files > caps.max_files) {
      return Fail(
          Cap(name, "more than " + std::to_string(caps.max_files) + " files (cap max_files)"));
    }
    if (Depth(rel) > caps.max_depth) {
      return Fail(Cap(name, rel + " is nested more than " + std::to_string(caps.max_depth) +
                                " folders deep (cap max_depth)"));
    }
    if (size > caps.max_file_bytes) {
      return Fail(Cap(name, rel + " is larger than " + std::to_string(caps.max_file_bytes) +
                                " bytes (cap max_file_bytes)"));
    }
    bytes += size;
    if (bytes > caps.max_total_bytes) {
      return Fail(Cap(name, "its files total more than " + std::to_string(caps.max_total_bytes) +
                                " bytes (cap max_total_bytes)"));
    }
    return {};
  }
};

Result<std::string> ReadFile(const fs::path& path, const std::string& name,
                             const std::string& rel) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Bad(name, "cannot read " + rel));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<Tree> LoadFolder(const fs::path& path, const PackageCaps& caps) {
  Tree tree;
  tree.name = ShortName(path);
  std::error_code ec;
  const fs::path root = fs::canonical(path, ec);
  if (ec) return Fail(Bad(tree.name, "cannot open " + path.string() + ": " + ec.message()));
  Budget budget{caps, tree.name};
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return Fail(Bad(tree.name, "cannot list " + root.string() + ": " + ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Fail(Bad(tree.name, "cannot list " + root.string() + ": " + ec.message()));
    const fs::path& p = it->path();
    const std::string rel = p.lexically_relative(root).generic_string();
    if (it.depth() > caps.max_depth) {
      return Fail(Cap(tree.name, rel + " is nested more than " + std::to_string(caps.max_depth) +
                                     " folders deep (cap max_depth)"));
    }
    const fs::file_status link = it->symlink_status(ec);
    if (ec) return Fail(Bad(tree.name, "cannot stat " + rel));
    fs::path target = p;
    if (fs::is_symlink(link)) {
      // A link may name another file of the package, never anything outside it.
      target = fs::weakly_canonical(p, ec);
      const std::string inside = target.lexically_relative(root).generic_string();
      if (ec || inside.empty() || inside.starts_with("..")) {
        return Fail(
            Bad(tree.name, "symlink " + rel + " points outside the package (cap symlinks)"));
      }
      if (!fs::is_regular_file(target, ec)) {
        return Fail(
            Bad(tree.name, "symlink " + rel + " must name a file of the package (cap symlinks)"));
      }
    } else if (fs::is_directory(link)) {
      continue;
    } else if (!fs::is_regular_file(link)) {
      return Fail(Bad(tree.name, rel + " is not a regular file"));
    }
    const uint64_t size = fs::file_size(target, ec);
    if (ec) return Fail(Bad(tree.name, "cannot stat " + rel));
    if (size > caps.max_file_bytes) {
      return Fail(Cap(tree.name, rel + " is larger than " + std::to_string(caps.max_file_bytes) +
                                     " bytes (cap max_file_bytes)"));
    }
    auto content = ReadFile(target, tree.name, rel);
    if (!content) return Fail(content.error());
    // Counted as read, so a file that grew since the stat is held to the caps too.
    if (auto added = budget.Add(rel, content->size()); !added) return Fail(added.error());
    tree.files.emplace(rel, std::move(*content));
  }
  return tree;
}

bool SafeZipName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(start, end - start);
    if (part == ".." || (part == "." && end != name.size())) return false;
    start = end + 1;
  }
  return true;
}

Result<Tree> LoadZip(const fs::path& path, const PackageCaps& caps) {
  Tree tree;
  tree.name = ShortName(path);
  int error = 0;
  std::unique_ptr<zip_t, decltype(&zip_discard)> archive(zip_open(path.c_str(), ZIP_RDONLY, &error),
                                                         &zip_discard);
  if (!archive) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return Fail(Bad(tree.name, "cannot open " + path.filename().string() + ": " + why));
  }
  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries > caps.max_files) {
    return Fail(
        Cap(tree.name, "more than " + std::to_string(caps.max_files) + " files (cap max_files)"));
  }
  Budget budget{caps, tree.name};
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        st.name == nullptr) {
      return Fail(Bad(tree.name, "cannot read zip entry " + std::to_string(i)));
    }
    const std::string name = st.name;
    if (!SafeZipName(name)) {
      return Fail(Bad(tree.name, "zip entry \"" + name + "\" escapes the package (cap paths)"));
    }
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    if (zip_file_get_external_attributes(archive.get(), static_cast<zip_uint64_t>(i), 0, &opsys,
                                         &attributes) == 0 &&
        opsys == ZIP_OPSYS_UNIX && ((attributes >> 16) & S_IFMT) == S_IFLNK) {
      return Fail(Bad(tree.name, "zip entry " + name + " is a symlink (cap symlinks)"));
    }
    if (name.back() == '/') continue;  // a folder
    const uint64_t size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    const uint64_t packed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    if (auto added = budget.Add(name, size); !added) return Fail(added.error());
    if (size > (uint64_t{1} << 20) &&
        size / std::max<uint64_t>(packed, 1) > caps.max_compression_ratio) {
      return Fail(Cap(tree.name, name + " expands more than " +
                                     std::to_string(caps.max_compression_ratio) +
                                     " times (cap max_compression_ratio)"));
    }
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(
        zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0), &zip_fclose);
    if (!file) return Fail(Bad(tree.name, "cannot read " + name + " from the zip"));
    // Read one byte past the declared size: an entry holding more than its header says is
    // refused, not trusted.
    std::string content(size + 1, '\0');
    uint64_t got = 0;
    while (got < content.size()) {
      const zip_int64_t n = zip_fread(file.get(), content.data() + got, content.size() - got);
      if (n < 0) return Fail(Bad(tree.name, "cannot read " + name + " from the zip (corrupt)"));
      if (n == 0) break;
      got += static_cast<uint64_t>(n);
    }
    if (got != size) {
      return Fail(Bad(tree.name, name + " holds a different size than its zip header says"));
    }
    content.resize(size);
    // Two entries of one name: tools disagree on which one a zip holds (the first, the last),
    // so what a reviewer unpacks could differ from what is graded. Refused, not picked.
    if (!tree.files.emplace(name, std::move(content)).second) {
      return Fail(Bad(tree.name, "zip entry " + name + " appears twice (cap paths)"));
    }
  }
  // A zip of the package folder: read from inside it.
  if (!tree.files.contains("problem.yaml") && !tree.files.empty()) {
    const std::string& first = tree.files.begin()->first;
    const size_t slash = first.find('/');
    if (slash != std::string::npos) {
      const std::string top = first.substr(0, slash + 1);
      const bool all = std::all_of(tree.files.begin(), tree.files.end(),
                                   [&](const auto& f) { return f.first.starts_with(top); });
      if (all) {
        std::map<std::string, std::string, std::less<>> inner;
        for (auto& [rel, content] : tree.files)
          inner.emplace(rel.substr(top.size()), std::move(content));
        tree.files = std::move(inner);
      }
    }
  }
  return tree;
}

}  // namespace

const std::string* Tree::Find(std::string_view path) const {
  const auto it = files.find(path);
  return it == files.end() ? nullptr : &it->second;
}

std::vector<std::string> Tree::Under(std::string_view prefix) const {
  std::vector<std::string> out;
  for (auto it = files.lower_bound(prefix); it != files.end() && it->first.starts_with(prefix);
       ++it) {
    out.push_back(it->first);
  }
  return out;
}

bool Tree::HasDir(std::string_view prefix) const {
  const auto it = files.lower_bound(prefix);
  return it != files.end() && it->first.starts_with(prefix);
}

std::string ShortName(const fs::path& path) {
  fs::path p = fs::absolute(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = IsZip(p) ? p.stem().string() : p.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

Result<Tree> LoadTree(const fs::path& path, const PackageCaps& caps) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return Fail(Error::Code::kNotFound, "package " + path.string() + " does not exist");
  }
  if (fs::is_directory(status)) return LoadFolder(path, caps);
  if (fs::is_regular_file(status) && IsZip(path)) return LoadZip(path, caps);
  return Fail(Error::Code::kInvalidArgument,
              "package " + path.string() + " is neither a folder nor a .zip");
}

Result<void> WriteTree(const Tree& tree, const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return Fail(Error::Code::kAlreadyExists, "export: " + dir.string() + " is not empty");
  }
  fs::create_directories(dir, ec);
  if (ec) return Fail(Error::Code::kInvalidArgument, "export: cannot create " + dir.string());
  for (const auto& [rel, content] : tree.files) {
    if (!SafeZipName(rel)) {
      return Fail(Error::Code::kInvalidArgument,
                  "export: \"" + rel + "\" would be written outside " + dir.string());
    }
    const fs::path out = dir / rel;
    fs::create_directories(out.parent_path(), ec);
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    file.write(content.data(), static_cast<std::streamsize>(content.size()));
    file.close();
    if (!file) return Fail(Error::Code::kInternal, "export: cannot write " + out.string());
  }
  return {};
}

}  // namespace codeyard::packages

namespace codeyard {

PackageCaps PackageCapsFrom(const Config& config) {
  PackageCaps caps;
  caps.max_total_bytes = static_cast<uint64_t>(config.problems_max_package_bytes);
  caps.max_file_bytes = static_cast<uint64_t>(config.problems_max_package_file_bytes);
  caps.max_files = config.problems_max_package_files;
  caps.max_depth = static_cast<int>(config.problems_max_package_depth);
  caps.max_compression_ratio = static_cast<uint64_t>(config.problems_max_zip_ratio);
  return caps;
}

}  // namespace codeyard
