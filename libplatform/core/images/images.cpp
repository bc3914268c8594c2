// Images on disk: names, manifests, listing and removal (codeyard/images.hpp).
#include "codeyard/images.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errno_text.hpp"
#include "core/images/image_files.hpp"
#include "core/try.hpp"

namespace codeyard::images {
namespace json = boost::json;

std::vector<std::string> DefaultPackages() {
  return {"python3", "python3-numpy", "python3-scipy", "python3-pandas", "python3-matplotlib",
          "nodejs",  "gcc",           "g++",           "ca-certificates"};
}

Result<void> ValidateName(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 63 &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string_view::npos &&
      std::isalnum(static_cast<unsigned char>(name.front())) != 0;
  if (!ok) {
    return Fail(Error::Code::kInvalidArgument,
                "images: bad image name \"" + std::string(name) +
                    "\" (1-63 of a-z 0-9 - _ ., starting with a letter or digit)");
  }
  return {};
}

std::string ImageDir(std::string_view images_dir, std::string_view name) {
  return std::string(images_dir) + "/" + std::string(name);
}

std::string ManifestJson(const ImageInfo& info) {
  json::object o;
  o["name"] = info.name;
  json::array packages;
  for (const auto& p : info.packages) packages.emplace_back(p);
  o["packages"] = std::move(packages);
  json::object versions;
  for (const auto& [k, v] : info.versions) versions[k] = v;
  o["versions"] = std::move(versions);
  o["suite"] = info.suite;
  o["mirror"] = info.mirror;
  o["size_bytes"] = info.size_bytes;
  o["created_unix_ms"] = info.created_unix_ms;
  return json::serialize(o) + "\n";
}

Result<ImageInfo> ReadManifest(const std::string& path, std::string_view name) {
  std::ifstream in(path);
  if (!in) {
    return Fail(Error::Code::kNotFound, "images: no image named \"" + std::string(name) + "\"");
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const json::value parsed = json::parse(text.str(), ec);
  const json::object* o = parsed.if_object();
  if (ec || o == nullptr) {
    return Fail(Error::Code::kDataLoss, "images: unreadable manifest " + path);
  }
  ImageInfo info;
  info.name = std::string(name);
  auto text_of = [&](const char* key) -> std::string {
    const auto* v = o->if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto int_of = [&](const char* key) -> int64_t {
    const auto* v = o->if_contains(key);
    return v != nullptr && v->is_int64() ? v->get_int64() : 0;
  };
  if (const auto* p = o->if_contains("packages"); p != nullptr && p->is_array()) {
    for (const auto& item : p->get_array()) {
      if (item.is_string()) info.packages.emplace_back(item.get_string());
    }
  }
  if (const auto* v = o->if_contains("versions"); v != nullptr && v->is_object()) {
    for (const auto& [key, value] : v->get_object()) {
      if (value.is_string()) info.versions[std::string(key)] = std::string(value.get_string());
    }
  }
  info.suite = text_of("suite");
  info.mirror = text_of("mirror");
  info.size_bytes = int_of("size_bytes");
  info.created_unix_ms = int_of("created_unix_ms");
  return info;
}

Result<ImageInfo> Get(const std::string& images_dir, std::string_view name) {
  CY_CHECK(ValidateName(name));
  return ReadManifest(ImageDir(images_dir, name) + "/" + kManifestFile, name);
}

Result<void> CheckKnown(const std::string& images_dir, std::string_view name) {
  CY_CHECK(ValidateName(name));
  if (images_dir.empty()) return {};
  const std::string manifest = ImageDir(images_dir, name) + "/" + kManifestFile;
  if (::access(manifest.c_str(), R_OK) != 0) {
    return Fail(Error::Code::kInvalidArgument,
                "images: no image named \"" + std::string(name) +
                    "\" (codeyard image list shows those there are)");
  }
  return {};
}

Result<std::vector<ImageInfo>> List(const std::string& images_dir) {
  std::vector<ImageInfo> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(images_dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return Fail(Error::Code::kInternal, "images: cannot list " + images_dir + ": " + ec.message());
  }
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!ValidateName(name)) continue;  // temporary build and trash directories start with '.'
    auto info = ReadManifest(entry.path().string() + "/" + kManifestFile, name);
    if (info) out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(),
            [](const ImageInfo& a, const ImageInfo& b) { return a.name < b.name; });
  return out;
}

Result<void> Remove(const std::string& images_dir, std::string_view name) {
  CY_CHECK(ValidateName(name));
  const std::string dir = ImageDir(images_dir, name);
  const std::string manifest = dir + "/" + kManifestFile;
  const int fd = ::open(manifest.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Fail(Error::Code::kNotFound, "images: no image named \"" + std::string(name) + "\"");
    }
    return Fail(Error::Code::kInternal, "images: open " + manifest + ": " + ErrnoText(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Fail(Error::Code::kFailedPrecondition,
                  "images: image \"" + std::string(name) +
                      "\" is in use by a running pod; delete its pods first");
    }
    return Fail(Error::Code::kInternal, "images: lock " + manifest + ": " + ErrnoText(err));
  }
  // Out of sight first (a pod starting now finds no image), then deleted at leisure.
  const std::string trash =
      images_dir + "/.trash-" + std::string(name) + "-" + std::to_string(::getpid());
  const bool moved = ::rename(dir.c_str(), trash.c_str()) == 0;
  const int err = errno;
  ::close(fd);
  if (!moved) {
    return Fail(Error::Code::kInternal, "images: rename " + dir + ": " + ErrnoText(err));
  }
  return RemoveImageTree(trash);
}

}  // namespace codeyard::images
