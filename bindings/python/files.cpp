// codeyard.Files: the stored files of a workspace (bytes in, bytes out) and FileInfo.
#include <memory>
#include <optional>
#include <string>

#include "codeyard/files.hpp"
#include "common.hpp"
#include "owner.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

using UserArg = std::optional<std::string>;

}  // namespace

void AddFiles(py::module_& m) {
  py::class_<FileInfo>(m, "FileInfo", "A stored file or folder of a workspace.")
      .def_readonly("path", &FileInfo::path)
      .def_property_readonly(
          "kind", [](const FileInfo& f) { return std::string(ItemKindName(f.kind)); },
          "\"file\" or \"dir\".")
      .def_readonly("size", &FileInfo::size)
      .def_readonly("sha256", &FileInfo::sha256)
      .def_readonly("version", &FileInfo::version)
      .def_readonly("mtime", &FileInfo::mtime, "ms since the epoch")
      .def("__repr__", [](const FileInfo& f) {
        return "<FileInfo path=" + Quote(f.path) +
               " kind=" + Quote(std::string(ItemKindName(f.kind))) +
               " size=" + std::to_string(f.size) + " version=" + std::to_string(f.version) + ">";
      });

  py::class_<Page<FileInfo>>(m, "FilePage", "One page of a workspace's file tree.")
      .def_readonly("items", &Page<FileInfo>::items, "Ordered by path (byte order).")
      .def_readonly("next_cursor", &Page<FileInfo>::next_cursor, "None on the last page.")
      .def("__repr__", [](const Page<FileInfo>& p) {
        return "<FilePage items=" + std::to_string(p.items.size()) +
               (p.next_cursor ? " more>" : " last>");
      });

  using F = FilesService;
  py::class_<F, std::shared_ptr<F>>(m, "Files",
                                    "The files of workspaces as storage holds them (the source "
                                    "of truth; a running pod is synced with them). Acts as the "
                                    "workspace's owner unless user_id= names another user.")
      .def(
          "write",
          [](F& f, const std::string& ws, const std::string& path, const py::object& data,
             std::optional<int64_t> expected_version, const UserArg& user_id) {
            const std::string bytes = BytesOf(data);
            const std::string user = ActingUser(*f.platform, ws, user_id);
            return Blocking(
                [&] { return f.service->Write(user, ws, path, bytes, expected_version); });
          },
          py::arg("workspace_id"), py::arg("path"), py::arg("data"),
          py::arg("expected_version") = py::none(), py::kw_only(), py::arg("user_id") = py::none(),
          "Creates or replaces a file (parents are created). expected_version: None writes "
          "whatever is there, 0 requires nothing at the path, N requires version N (Conflict).")
      .def(
          "read",
          [](F& f, const std::string& ws, const std::string& path, const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            FileContent content = Blocking([&] { return f.service->Read(user, ws, path); });
            return py::bytes(content.content);
          },
          py::arg("workspace_id"), py::arg("path"), py::kw_only(), py::arg("user_id") = py::none(),
          "The file's bytes; NotFound for a missing path.")
      .def(
          "stat",
          [](F& f, const std::string& ws, const std::string& path, const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            return Blocking([&] { return f.service->Read(user, ws, path); }).info;
          },
          py::arg("workspace_id"), py::arg("path"), py::kw_only(), py::arg("user_id") = py::none())
      .def(
          "list",
          [](F& f, const std::string& ws, const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            return Blocking([&] { return f.service->Tree(user, ws); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none(),
          "Every file and folder, ordered by path.")
      .def(
          "page",
          [](F& f, const std::string& ws, int64_t limit, const std::optional<std::string>& cursor,
             const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            const PageRequest request{limit, cursor.value_or("")};
            return Blocking([&] { return f.service->Tree(user, ws, request); });
          },
          py::arg("workspace_id"), py::arg("limit") = 50, py::arg("cursor") = py::none(),
          py::kw_only(), py::arg("user_id") = py::none(),
          "One page of the tree (limit 1-200) after cursor (a previous page's next_cursor; "
          "None: the first page). InvalidArgument for a bad limit or cursor.")
      .def(
          "mkdir",
          [](F& f, const std::string& ws, const std::string& path, const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            return Blocking([&] { return f.service->MakeDir(user, ws, path); });
          },
          py::arg("workspace_id"), py::arg("path"), py::kw_only(), py::arg("user_id") = py::none())
      .def(
          "delete",
          [](F& f, const std::string& ws, const std::string& path,
             std::optional<int64_t> expected_version, const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            Blocking([&] { return f.service->Delete(user, ws, path, expected_version); });
          },
          py::arg("workspace_id"), py::arg("path"), py::arg("expected_version") = py::none(),
          py::kw_only(), py::arg("user_id") = py::none(),
          "Deletes a file, or a folder with everything in it.")
      .def(
          "rename",
          [](F& f, const std::string& ws, const std::string& from, const std::string& to,
             std::optional<int64_t> expected_version, const UserArg& user_id) {
            const std::string user = ActingUser(*f.platform, ws, user_id);
            return Blocking([&] { return f.service->Move(user, ws, from, to, expected_version); });
          },
          py::arg("workspace_id"), py::arg("source"), py::arg("destination"),
          py::arg("expected_version") = py::none(), py::kw_only(), py::arg("user_id") = py::none(),
          "Renames or moves a file or folder; AlreadyExists when the destination is taken.");
}

}  // namespace codeyard::python
