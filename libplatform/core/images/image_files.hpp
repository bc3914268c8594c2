// What images.cpp and image_build.cpp share: the layout of an image directory, the manifest
// codec and the removal of a tree that never crosses into another file system.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/images.hpp"

namespace codeyard::images {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kRootDir = "root";

[[nodiscard]] std::string ManifestJson(const ImageInfo& info);
[[nodiscard]] Result<ImageInfo> ReadManifest(const std::string& path, std::string_view name);

// Deletes `path` and everything below it, first detaching any mount left beneath it (a
// debootstrap killed mid-way leaves its proc mount), and never descending into another file
// system.
[[nodiscard]] Result<void> RemoveImageTree(const std::string& path);

}  // namespace codeyard::images
