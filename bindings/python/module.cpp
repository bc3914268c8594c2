// The `codeyard` Python module (pybind11): codeyard.open() assembles the library with
// Services::Open, exactly as the server does for the same configuration keys, and hands out
// one object per service group (accounts, workspaces, files, terminals, jobs, problems,
// submissions, reviews). Each of those holds shared_ptrs of what it uses, so any of them may
// outlive the Codeyard object. Every call that may block releases the GIL.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codeyard/codeyard.hpp"
#include "codeyard/services.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

// What codeyard.open() returns: the whole service graph and the wrappers over it.
struct Codeyard {
  std::shared_ptr<Services> services;
  std::shared_ptr<TerminalHub> hub;
  PackageCaps caps;
  std::string data_dir;
  std::string images_dir;  // Config::EffectiveImagesDir

  ~Codeyard() {
    // Letting go of the graph stops background work and waits for it (job workers, pods'
    // final syncs): none of it needs Python, so other threads may run meanwhile.
    if (!services || _Py_IsFinalizing()) return;
    py::gil_scoped_release release;
    services.reset();
  }
};

// Python values as configuration text: True -> "true", a list -> "a,b", else str().
std::string ConfigText(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    std::string text;
    for (const py::handle item : value) {
      if (!text.empty()) text += ",";
      text += py::str(item).cast<std::string>();
    }
    return text;
  }
  return py::str(value).cast<std::string>();
}

std::shared_ptr<Codeyard> Open(const std::optional<std::string>& data_dir,
                               const std::optional<std::string>& storage,
                               const std::optional<std::string>& executor,
                               const std::optional<py::dict>& config, const py::kwargs& keys) {
  ConfigInputs inputs;
  const auto add = [&](const py::dict& d) {
    for (const auto& [key, value] : d) {
      inputs.flags.emplace_back(py::str(key).cast<std::string>(), ConfigText(value));
    }
  };
  if (config) add(*config);
  add(keys);
  // The named arguments win over the same keys in config (as --data wins over --set).
  std::string dir = data_dir.value_or("");
  if (dir.empty()) {
    for (const auto& [key, value] : inputs.flags) {
      if (key == "data_dir") dir = value;
    }
  }
  if (dir.empty()) dir = "./data";
  dir = std::filesystem::absolute(dir).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  inputs.flags.emplace_back("data_dir", dir);
  if (storage) inputs.flags.emplace_back("storage.uri", *storage);
  if (executor) inputs.flags.emplace_back("executor.uri", *executor);
  bool log_given = false;
  for (const auto& [key, value] : inputs.flags) log_given = log_given || key == "log.level";

  auto result = std::make_shared<Codeyard>();
  result->hub = std::make_shared<TerminalHub>();
  result->data_dir = dir;
  const Config loaded = Unwrap(LoadConfig(inputs));
  result->caps = PackageCapsFrom(loaded);
  result->images_dir = loaded.EffectiveImagesDir();
  result->services = Blocking([&]() -> Result<std::shared_ptr<Services>> {
    std::error_code ec;
    std::filesystem::create_directories(loaded.data_dir, ec);
    if (ec) {
      return Fail(Error::Code::kPermissionDenied,
                  "codeyard.open: cannot create " + loaded.data_dir + ": " + ec.message());
    }
    // An embedding application holds the data directory as a development server does: without
    // a configured secret, the one generated once into <data_dir>/secret signs its tokens.
    Config for_secret = loaded;
    if (for_secret.secret.empty()) for_secret.dev_mode = true;
    auto secret = ResolveSecret(for_secret);
    if (!secret) return Fail(secret.error());
    Options options = OptionsFrom(loaded);
    // Quiet unless asked: a library writes no log lines into its host's stderr by default.
    if (log_given) options.logger = std::make_shared<Logger>(loaded.log_level);
    ServiceOptions service_options = ServiceOptionsFrom(loaded);
    service_options.accounts.secret = std::move(*secret);
    return Services::Open(options, std::move(service_options));
  });
  std::weak_ptr<TerminalHub> hub = result->hub;
  result->services->terminals().SetWake([hub] {
    if (auto h = hub.lock()) h->Wake();
  });
  // py19b: interactive runs wake the same readers.
  result->services->run_sessions().SetWake([hub] {
    if (auto h = hub.lock()) h->Wake();
  });
  return result;
}

const Services& Live(const Codeyard& c) {
  if (!c.services) Raise(Error(Error::Code::kFailedPrecondition, "codeyard: closed"));
  return *c.services;
}

}  // namespace

}  // namespace codeyard::python

PYBIND11_MODULE(_codeyard, m) {
  using namespace codeyard;
  using namespace codeyard::python;
  m.doc() = "Codeyard: workspaces, sandboxed execution, grading and review, embedded in Python.";
  AddErrors(m);
  AddAccounts(m);
  AddWorkspaces(m);
  AddFiles(m);
  AddTerminals(m);
  AddJobs(m);
  AddProblems(m);
  AddReviews(m);
  AddRunner(m);
  AddIde(m);     // py19b
  AddRuns(m);    // py19b
  AddLive(m);    // py19b
  AddImages(m);  // py19b

  m.def(
      "version", [] { return std::string(codeyard::Version()); }, "The library version.");
  m.def("new_uuid", &codeyard::NewUuid, "A random UUIDv4 string.");

  py::class_<python::Codeyard, std::shared_ptr<python::Codeyard>>(
      m, "Codeyard",
      "The library, open: every service over one storage and one executor. Made by "
      "codeyard.open(); the service objects it hands out stay usable after it is let go.")
      .def_property_readonly("data_dir", [](const python::Codeyard& c) { return c.data_dir; })
      .def_property_readonly("platform",
                             [](const python::Codeyard& c) { return Live(c).shared_platform(); })
      .def_property_readonly("accounts",
                             [](const python::Codeyard& c) { return Live(c).shared_accounts(); })
      .def_property_readonly("workspaces",
                             [](const python::Codeyard& c) {
                               return std::make_shared<WorkspacesService>(WorkspacesService{
                                   Live(c).shared_workspaces(), Live(c).shared_platform()});
                             })
      .def_property_readonly("files",
                             [](const python::Codeyard& c) {
                               return std::make_shared<FilesService>(
                                   FilesService{Live(c).shared_files(), Live(c).shared_platform()});
                             })
      .def_property_readonly("terminals",
                             [](const python::Codeyard& c) {
                               return std::make_shared<TerminalsService>(
                                   TerminalsService{Live(c).shared_terminals(), c.hub});
                             })
      .def_property_readonly(
          "jobs",
          [](const python::Codeyard& c) {
            return std::make_shared<JobsService>(JobsService{Live(c).shared_jobs()});
          })
      .def_property_readonly("problems",
                             [](const python::Codeyard& c) {
                               return std::make_shared<ProblemsService>(
                                   ProblemsService{Live(c).shared_problems(), c.caps});
                             })
      .def_property_readonly("submissions",
                             [](const python::Codeyard& c) {
                               return std::make_shared<SubmissionsService>(
                                   SubmissionsService{Live(c).shared_submissions()});
                             })
      .def_property_readonly(
          "reviews",
          [](const python::Codeyard& c) {
            return std::make_shared<ReviewsService>(ReviewsService{Live(c).shared_reviews()});
          })
      .def_property_readonly("runner",
                             [](const python::Codeyard& c) { return Live(c).shared_runner(); })
      // py19b: the IDE's services, interactive runs, events, language servers, ports, images.
      .def_property_readonly(
          "settings",
          [](const python::Codeyard& c) {
            return std::make_shared<SettingsService>(SettingsService{Live(c).shared_settings()});
          })
      .def_property_readonly("search",
                             [](const python::Codeyard& c) {
                               return std::make_shared<SearchService>(SearchService{
                                   Live(c).shared_file_search(), Live(c).shared_platform()});
                             })
      .def_property_readonly("archives",
                             [](const python::Codeyard& c) {
                               return std::make_shared<ArchivesService>(ArchivesService{
                                   Live(c).shared_archives(), Live(c).shared_platform()});
                             })
      .def_property_readonly(
          "downloads",
          [](const python::Codeyard& c) {
            const Services& s = Live(c);
            return std::make_shared<DownloadsService>(DownloadsService{
                s.shared_downloads(), s.shared_accounts(), s.shared_files(), s.shared_archives()});
          })
      .def_property_readonly(
          "runs",
          [](const python::Codeyard& c) {
            return std::make_shared<RunsService>(RunsService{Live(c).shared_run_sessions(), c.hub});
          })
      .def_property_readonly(
          "events",
          [](const python::Codeyard& c) {
            return std::make_shared<EventsService>(EventsService{Live(c).shared_events()});
          })
      .def_property_readonly(
          "language_servers",
          [](const python::Codeyard& c) {
            return std::make_shared<LanguageServersService>(LanguageServersService{
                Live(c).shared_language_servers(), Live(c).shared_platform()});
          })
      .def_property_readonly(
          "ports",
          [](const python::Codeyard& c) {
            const Services& s = Live(c);
            return std::make_shared<PortsService>(
                PortsService{s.shared_port_relay(), s.shared_accounts(), s.shared_platform()});
          })
      .def_property_readonly("images",
                             [](const python::Codeyard& c) {
                               return std::make_shared<ImagesService>(
                                   ImagesService{c.images_dir, Live(c).shared_workspaces()});
                             })
      .def("close",
           [](python::Codeyard& c) {
             if (!c.services) return;
             py::gil_scoped_release release;
             c.services.reset();
           })
      .def("__repr__",
           [](const python::Codeyard& c) { return "<Codeyard data_dir='" + c.data_dir + "'>"; });

  m.def("open", &python::Open, py::arg("data_dir") = py::none(), py::arg("storage") = py::none(),
        py::arg("executor") = py::none(), py::kw_only(), py::arg("config") = py::none(),
        "Opens the library as the server does: SQLite and the local sandbox under data_dir "
        "(as the server's --data), unless storage= / executor= URIs say otherwise. Any other "
        "configuration key is given in config={...} or as a keyword "
        "(**{\"terminal.max_per_workspace\": 2}). Migrates storage, starts the job workers.");
}
