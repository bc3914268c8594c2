// codeyard.Images: the workspace images under the configured images directory (images.dir,
// else <data_dir>/images): list, get, build (debootstrap, as root, with a progress callback)
// and remove, and the ImageInfo class.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/images.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {

void AddImages(py::module_& m) {
  using images::ImageInfo;
  py::class_<ImageInfo>(m, "ImageInfo", "A workspace image: a root file system and its manifest.")
      .def_readonly("name", &ImageInfo::name)
      .def_readonly("packages", &ImageInfo::packages, "The Debian packages asked for.")
      .def_readonly("versions", &ImageInfo::versions, "Key installed versions.")
      .def_readonly("suite", &ImageInfo::suite)
      .def_readonly("mirror", &ImageInfo::mirror)
      .def_readonly("size_bytes", &ImageInfo::size_bytes)
      .def_readonly("created_at", &ImageInfo::created_unix_ms, "ms since the epoch")
      .def("__repr__", [](const ImageInfo& i) {
        return "<ImageInfo name=" + Quote(i.name) + " suite=" + Quote(i.suite) + ">";
      });

  py::class_<ImagesService, std::shared_ptr<ImagesService>>(
      m, "Images", "Workspace images (what Workspaces.create(image=...) may name).")
      .def_property_readonly("dir", [](const ImagesService& s) { return s.images_dir; })
      .def(
          "list",
          [](ImagesService& s) { return Blocking([&] { return images::List(s.images_dir); }); },
          "Every finished image, by name.")
      .def(
          "get",
          [](ImagesService& s, const std::string& name) {
            return Blocking([&] { return images::Get(s.images_dir, name); });
          },
          py::arg("name"), "The image's manifest; NotFound when absent.")
      .def(
          "build",
          [](ImagesService& s, const std::string& name,
             const std::optional<std::vector<std::string>>& packages, const std::string& suite,
             const std::string& mirror, const std::optional<py::function>& progress) {
            images::BuildOptions options;
            options.images_dir = s.images_dir;
            options.name = name;
            if (packages) options.packages = *packages;
            options.suite = suite;
            options.mirror = mirror;
            std::optional<py::error_already_set> python_error;
            if (progress) {
              options.progress = [&](std::string_view line) {
                py::gil_scoped_acquire acquire;
                if (python_error) return;  // the first exception wins; the build goes on
                try {
                  (*progress)(std::string(line));
                } catch (py::error_already_set& e) {
                  python_error = std::move(e);
                }
              };
            }
            auto built = [&] {
              py::gil_scoped_release release;
              return images::Build(options);
            }();
            if (python_error) throw std::move(*python_error);
            return Unwrap(std::move(built));
          },
          py::arg("name"), py::arg("packages") = py::none(), py::arg("suite") = "bookworm",
          py::arg("mirror") = "", py::arg("progress") = py::none(),
          "Builds an image with debootstrap (minutes; needs root and network). progress is "
          "called with each progress line. PermissionDenied when not root, AlreadyExists, "
          "InvalidArgument for a bad name or package, Unavailable when debootstrap fails.")
      .def(
          "remove",
          [](ImagesService& s, const std::string& name) {
            Blocking([&] { return images::Remove(s.images_dir, name); });
          },
          py::arg("name"), "FailedPrecondition while a running pod uses it.");
}

}  // namespace codeyard::python
