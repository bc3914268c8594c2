// The IDE's services over stored files, from Python: codeyard.Settings (per-user settings),
// codeyard.Search (search across a workspace's files), codeyard.Archives (a folder as a zip,
// written as it is made) and codeyard.Downloads (signed download links), with their result
// classes. Every call releases the GIL; an archive written to a Python file object takes the
// GIL back for each piece it hands over.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/services.hpp"
#include "common.hpp"
#include "owner.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

using UserArg = std::optional<std::string>;

// Writes `plan`'s zip to `sink` without the GIL; `sink` takes it back itself when it needs it.
ArchiveStats WriteZip(const Archives& archives, const ArchivePlan& plan, const ArchiveSink& sink,
                      std::optional<py::error_already_set>& python_error) {
  auto stats = [&] {
    py::gil_scoped_release release;
    return archives.Write(plan, sink);
  }();
  if (python_error) throw std::move(*python_error);
  if (!stats) Raise(stats.error());
  return *stats;
}

// The zip of `plan`, whole, as bytes.
py::bytes ZipBytes(const Archives& archives, const ArchivePlan& plan) {
  std::string out;
  std::optional<py::error_already_set> none;
  WriteZip(
      archives, plan,
      [&](std::string_view bytes) {
        out.append(bytes);
        return true;
      },
      none);
  return py::bytes(out);
}

DownloadKind KindOf(const std::string& kind) {
  if (kind == "file") return DownloadKind::kFile;
  if (kind == "archive") return DownloadKind::kArchive;
  Raise(Error(Error::Code::kInvalidArgument,
              "downloads: kind must be \"file\" or \"archive\", not \"" + kind + "\""));
}

}  // namespace

void AddIde(py::module_& m) {
  py::class_<UserSettings>(m, "UserSettings", "A user's IDE settings (the defaults until saved).")
      .def_readonly("theme", &UserSettings::theme, "\"dark\" or \"light\".")
      .def_readonly("font_size", &UserSettings::font_size, "Pixels, 8 to 32.")
      .def_readonly("autosave", &UserSettings::autosave)
      .def_readonly("tab_size", &UserSettings::tab_size, "Spaces per tab, 1 to 8.")
      .def_readonly("updated_at", &UserSettings::updated_at, "ms since the epoch; 0: never saved")
      .def("__eq__", [](const UserSettings& a, const UserSettings& b) { return a == b; })
      .def("__repr__", [](const UserSettings& s) {
        return "<UserSettings theme=" + Quote(s.theme) +
               " font_size=" + std::to_string(s.font_size) +
               " autosave=" + (s.autosave ? "True" : "False") +
               " tab_size=" + std::to_string(s.tab_size) + ">";
      });

  py::class_<SettingsService, std::shared_ptr<SettingsService>>(
      m, "Settings", "Per-user settings of the browser IDE, kept in storage.")
      .def(
          "get",
          [](SettingsService& s, const std::string& user_id) {
            return Blocking([&] { return s.service->Get(user_id); });
          },
          py::arg("user_id"), "The user's settings, or the defaults when they never saved any.")
      .def(
          "update",
          [](SettingsService& s, const std::string& user_id, std::optional<std::string> theme,
             std::optional<int> font_size, std::optional<bool> autosave,
             std::optional<int> tab_size) {
            SettingsPatch patch{std::move(theme), font_size, autosave, tab_size};
            return Blocking([&] { return s.service->Update(user_id, patch); });
          },
          py::arg("user_id"), py::kw_only(), py::arg("theme") = py::none(),
          py::arg("font_size") = py::none(), py::arg("autosave") = py::none(),
          py::arg("tab_size") = py::none(),
          "Changes the fields given (the others stay); InvalidArgument naming a field out of "
          "range, and then nothing is stored.");

  py::class_<SearchMatch>(m, "SearchMatch", "A line that holds the query.")
      .def_readonly("line", &SearchMatch::line, "1-based.")
      .def_readonly("column", &SearchMatch::column, "1-based, in UTF-16 code units.")
      .def_readonly("length", &SearchMatch::length, "UTF-16 code units.")
      .def_readonly("text", &SearchMatch::text, "The line, cut around the match.")
      .def_readonly("text_column", &SearchMatch::text_column)
      .def("__repr__", [](const SearchMatch& s) {
        return "<SearchMatch line=" + std::to_string(s.line) +
               " column=" + std::to_string(s.column) + " text=" + Quote(s.text) + ">";
      });
  py::class_<SearchFileResult>(m, "SearchFile", "The matching lines of one file.")
      .def_readonly("path", &SearchFileResult::path)
      .def_readonly("matches", &SearchFileResult::matches)
      .def("__repr__", [](const SearchFileResult& f) {
        return "<SearchFile path=" + Quote(f.path) +
               " matches=" + std::to_string(f.matches.size()) + ">";
      });
  py::class_<SearchResult>(m, "SearchResult", "What a search found, by file in path order.")
      .def_readonly("files", &SearchResult::files)
      .def_readonly("matches", &SearchResult::matches, "Lines returned.")
      .def_readonly("files_scanned", &SearchResult::files_scanned)
      .def_readonly("bytes_scanned", &SearchResult::bytes_scanned)
      .def_readonly("files_skipped", &SearchResult::files_skipped, "Binary or too large.")
      .def_readonly("truncated_by", &SearchResult::truncated_by,
                    "The search.* key that cut the search short, or \"\".")
      .def("__repr__", [](const SearchResult& r) {
        return "<SearchResult files=" + std::to_string(r.files.size()) +
               " matches=" + std::to_string(r.matches) + ">";
      });

  py::class_<SearchService, std::shared_ptr<SearchService>>(
      m, "Search", "Search across the stored files of a workspace (the IDE's search panel).")
      .def(
          "search",
          [](SearchService& s, const std::string& ws, const std::string& text, bool case_sensitive,
             bool regex, const UserArg& user_id) {
            const std::string user = ActingUser(*s.platform, ws, user_id);
            const SearchQuery query{text, case_sensitive, regex};
            return Blocking([&] { return s.service->Search(user, ws, query); });
          },
          py::arg("workspace_id"), py::arg("query"), py::arg("case_sensitive") = false,
          py::arg("regex") = false, py::kw_only(), py::arg("user_id") = py::none(),
          "Every line of every stored text file holding query (a Perl regular expression with "
          "regex=True), bounded by the search.* keys; InvalidArgument for a bad query.");

  py::class_<ArchivePlan>(m, "ArchivePlan", "What a zip of a folder will hold.")
      .def_readonly("workspace_id", &ArchivePlan::workspace_id)
      .def_readonly("root", &ArchivePlan::root, "The folder archived; \"\": the whole workspace.")
      .def_readonly("file_name", &ArchivePlan::file_name, "The name to offer, e.g. \"src.zip\".")
      .def_readonly("entries", &ArchivePlan::entries)
      .def_readonly("total_bytes", &ArchivePlan::total_bytes, "The files' sizes, uncompressed.")
      .def("__repr__", [](const ArchivePlan& p) {
        return "<ArchivePlan file_name=" + Quote(p.file_name) +
               " entries=" + std::to_string(p.entries.size()) + ">";
      });
  py::class_<ArchiveStats>(m, "ArchiveStats", "What writing a zip did.")
      .def_readonly("files", &ArchiveStats::files)
      .def_readonly("folders", &ArchiveStats::folders)
      .def_readonly("bytes_in", &ArchiveStats::bytes_in)
      .def_readonly("bytes_out", &ArchiveStats::bytes_out)
      .def_readonly("skipped", &ArchiveStats::skipped, "Files deleted after the plan.")
      .def("__repr__", [](const ArchiveStats& s) {
        return "<ArchiveStats files=" + std::to_string(s.files) +
               " bytes_out=" + std::to_string(s.bytes_out) + ">";
      });

  using A = ArchivesService;
  py::class_<A, std::shared_ptr<A>>(
      m, "Archives",
      "Zips of a workspace's stored files (a folder or the whole workspace). Out only: the "
      "library has no archive import (upload files with Files.write).")
      .def(
          "plan",
          [](A& a, const std::string& ws, const std::string& folder, const UserArg& user_id) {
            const std::string user = ActingUser(*a.platform, ws, user_id);
            return Blocking([&] { return a.service->Plan(user, ws, folder); });
          },
          py::arg("workspace_id"), py::arg("folder") = "", py::kw_only(),
          py::arg("user_id") = py::none(),
          "The plan of a zip of folder (\"\": the whole workspace); NotFound for a missing "
          "folder, InvalidArgument for a file.")
      .def(
          "zip",
          [](A& a, const std::string& ws, const std::string& folder, const UserArg& user_id) {
            const std::string user = ActingUser(*a.platform, ws, user_id);
            const ArchivePlan plan = Blocking([&] { return a.service->Plan(user, ws, folder); });
            return ZipBytes(*a.service, plan);
          },
          py::arg("workspace_id"), py::arg("folder") = "", py::kw_only(),
          py::arg("user_id") = py::none(), "The zip of folder, whole, as bytes.")
      .def(
          "write",
          [](A& a, const std::string& ws, const std::string& folder, const py::object& out,
             const UserArg& user_id) {
            const std::string user = ActingUser(*a.platform, ws, user_id);
            const ArchivePlan plan = Blocking([&] { return a.service->Plan(user, ws, folder); });
            py::object write = out.attr("write");
            std::optional<py::error_already_set> python_error;
            return WriteZip(
                *a.service, plan,
                [&](std::string_view bytes) {
                  py::gil_scoped_acquire acquire;
                  try {
                    write(py::bytes(bytes.data(), bytes.size()));
                    return true;
                  } catch (py::error_already_set& e) {
                    python_error = std::move(e);
                    return false;
                  }
                },
                python_error);
          },
          py::arg("workspace_id"), py::arg("folder"), py::arg("out"), py::kw_only(),
          py::arg("user_id") = py::none(),
          "Streams the zip of folder into out (a binary file object: out.write(bytes)) as it "
          "is made, one stored file at a time; an exception from out.write ends it and is "
          "raised.");

  py::class_<DownloadGrant>(m, "DownloadLink", "A signed, short-lived download token.")
      .def_readonly("token", &DownloadGrant::token, "URL-safe.")
      .def_readonly("expires_at", &DownloadGrant::expires_at, "ms since the epoch")
      .def("__repr__", [](const DownloadGrant& g) {
        return "<DownloadLink expires_at=" + std::to_string(g.expires_at) + ">";
      });
  py::class_<DownloadTicket>(m, "DownloadTicket", "What a verified download token grants.")
      .def_readonly("user_id", &DownloadTicket::user_id)
      .def_readonly("session_id", &DownloadTicket::session_id)
      .def_readonly("workspace_id", &DownloadTicket::workspace_id)
      .def_readonly("path", &DownloadTicket::path, "A file, or a folder (\"\": all) for a zip.")
      .def_property_readonly(
          "kind", [](const DownloadTicket& t) { return std::string(DownloadKindName(t.kind)); },
          "\"file\" or \"archive\".")
      .def_readonly("expires_at", &DownloadTicket::expires_at)
      .def("__repr__", [](const DownloadTicket& t) {
        return "<DownloadTicket path=" + Quote(t.path) +
               " kind=" + Quote(std::string(DownloadKindName(t.kind))) + ">";
      });

  using D = DownloadsService;
  py::class_<D, std::shared_ptr<D>>(
      m, "Downloads",
      "Signed download links (files.download_ttl_s), made from a login: a link stops working "
      "when its login ends.")
      .def(
          "sign",
          [](D& d, const std::string& access_token, const std::string& ws, const std::string& path,
             const std::string& kind) {
            const DownloadKind k = KindOf(kind);
            return Blocking([&]() -> Result<DownloadGrant> {
              auto claims = d.accounts->VerifyAccessToken(access_token);
              if (!claims) return Fail(claims.error());
              return d.service->Sign(claims->user_id, claims->session_id, ws, path, k);
            });
          },
          py::arg("access_token"), py::arg("workspace_id"), py::arg("path"),
          py::arg("kind") = "file",
          "A link to a file (kind \"file\") or a folder as a zip (kind \"archive\", path \"\" "
          "for the whole workspace) of the token's user's workspace.")
      .def(
          "verify",
          [](D& d, const std::string& token) {
            return Blocking([&] { return d.service->Verify(token); });
          },
          py::arg("token"), "What the token grants; Unauthenticated when expired or revoked.")
      .def(
          "read",
          [](D& d, const std::string& token) {
            const DownloadTicket ticket = Blocking([&] { return d.service->Verify(token); });
            if (ticket.kind == DownloadKind::kFile) {
              FileContent content = Blocking(
                  [&] { return d.files->Read(ticket.user_id, ticket.workspace_id, ticket.path); });
              return py::bytes(content.content);
            }
            const ArchivePlan plan = Blocking(
                [&] { return d.archives->Plan(ticket.user_id, ticket.workspace_id, ticket.path); });
            return ZipBytes(*d.archives, plan);
          },
          py::arg("token"),
          "What the link serves, as the server's download route does: the file's bytes, or "
          "the zip.");
}

}  // namespace codeyard::python
