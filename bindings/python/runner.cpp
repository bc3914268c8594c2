// codeyard.Platform (storage alone) and codeyard.Runner (one-shot runs in fresh sandboxes), the
// module's first two classes, kept for scripts that need no accounts or workspaces.
#include <memory>
#include <string>
#include <vector>

#include "codeyard/codeyard.hpp"
#include "codeyard/run.hpp"
#include "common.hpp"

namespace codeyard::python {
namespace {

std::shared_ptr<Platform> OpenPlatform(const std::string& storage_uri) {
  Options options;
  options.storage_uri = storage_uri;
  return Blocking([&] { return Platform::Open(options); });
}

std::shared_ptr<Runner> NewRunner(const std::string& executor_uri, size_t pool_size) {
  // The library's one assembly, in memory and without background work: the runner keeps its
  // executor (shared ownership) after the rest of the graph is let go.
  Options options;
  options.executor_uri = executor_uri;
  ServiceOptions service_options;
  service_options.runner.pool_size = pool_size;
  service_options.start_background = false;
  return Blocking([&]() -> Result<std::shared_ptr<Runner>> {
    auto services = Services::Open(options, std::move(service_options));
    if (!services) return Fail(services.error());
    return (*services)->shared_runner();
  });
}

// files: an ordered dict of name -> str or bytes; the first is the entry point.
RunResult Run(Runner& runner, const py::dict& files, const std::string& language,
              const py::object& stdin_data, const std::vector<std::string>& args, double time_limit,
              double wall_time_limit, double memory_limit_mb, double output_limit_mb) {
  RunRequest request;
  for (const auto& [name, content] : files) {
    FileData file;
    file.path = py::cast<std::string>(name);
    file.content = BytesOf(content);
    request.files.push_back(std::move(file));
  }
  if (!language.empty()) request.language = Unwrap(ParseLanguage(language));
  request.stdin_data = BytesOf(stdin_data);
  request.args = args;
  request.limits = WithTimeLimit(request.limits, time_limit, wall_time_limit);
  request.limits.memory_bytes = static_cast<uint64_t>(memory_limit_mb * 1024 * 1024);
  request.limits.output_bytes = static_cast<uint64_t>(output_limit_mb * 1024 * 1024);
  return Blocking([&] { return runner.Run(request); });
}

}  // namespace

void AddRunner(py::module_& m) {
  py::class_<RunResult>(m, "RunResult", "A one-shot run: verdict, exit status and output.")
      .def_property_readonly("verdict",
                             [](const RunResult& r) { return std::string(VerdictName(r.verdict)); })
      .def_property_readonly("exit_code", [](const RunResult& r) { return r.status.exit_code; })
      .def_property_readonly("signal", [](const RunResult& r) { return r.status.signal; })
      .def_property_readonly("cpu_ms", [](const RunResult& r) { return r.status.cpu_ms; })
      .def_property_readonly("wall_ms", [](const RunResult& r) { return r.status.wall_ms; })
      .def_property_readonly("memory_kb", [](const RunResult& r) { return r.status.memory_kb; })
      .def_property_readonly("stdout", [](const RunResult& r) { return py::bytes(r.stdout_data); })
      .def_property_readonly("stderr", [](const RunResult& r) { return py::bytes(r.stderr_data); })
      .def_property_readonly("output_truncated",
                             [](const RunResult& r) { return r.status.output_truncated; })
      .def_readonly("compile_output", &RunResult::compile_output)
      .def_readonly("message", &RunResult::message)
      // Item access too, for scripts written against the dict this class replaced.
      .def("__getitem__",
           [](py::object self, const std::string& key) { return self.attr(key.c_str()); })
      .def("__repr__", [](const RunResult& r) {
        return "<RunResult verdict=" + Quote(std::string(VerdictName(r.verdict))) + " exit_code=" +
               (r.status.exit_code ? std::to_string(*r.status.exit_code) : std::string("None")) +
               ">";
      });

  py::class_<Platform, std::shared_ptr<Platform>>(m, "Platform", "Storage (and an executor).")
      .def_static("open", &OpenPlatform, py::arg("storage_uri") = "sqlite::memory:",
                  "Open storage by URI (sqlite:///path.db, sqlite::memory:, postgres://...) "
                  "and apply migrations.")
      .def_property_readonly("schema_version", &Platform::schema_version)
      .def("storage_info",
           [](const Platform& p) {
             const StorageInfo info = p.storage().Info();
             py::dict d;
             d["backend"] = info.backend;
             d["location"] = info.location;
             d["server_version"] = info.server_version;
             return d;
           })
      .def("ping", [](const Platform& p) { Blocking([&] { return p.Ping(); }); });

  py::class_<Runner, std::shared_ptr<Runner>>(m, "Runner")
      .def(py::init(&NewRunner), py::arg("executor") = "local:", py::arg("pool_size") = 0,
           "One-shot runs in fresh sandboxes (executor URI as in executor.uri).")
      .def("run", &Run, py::arg("files"), py::arg("language") = "", py::arg("stdin") = "",
           py::arg("args") = std::vector<std::string>{}, py::arg("time_limit") = 5.0,
           py::arg("wall_time_limit") = 0.0, py::arg("memory_limit_mb") = 256.0,
           py::arg("output_limit_mb") = 1.0,
           "Runs {name: source} (the first file is the entry point) and returns a RunResult.");
}

}  // namespace codeyard::python
