// Python bindings: a thin layer over the public API. Library errors become
// `codeyard.Error` (with `.code`, e.g. "not_found"); the GIL is released around every call
// that may block on storage.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "codeyard/codeyard.hpp"
#include "codeyard/run.hpp"

namespace py = pybind11;

namespace {

py::object& ErrorType() {
  static py::object type;
  return type;
}

[[noreturn]] void Raise(const codeyard::Error& error) {
  py::object exc = ErrorType()(error.message());
  exc.attr("code") = std::string(codeyard::CodeName(error.code()));
  PyErr_SetObject(ErrorType().ptr(), exc.ptr());
  throw py::error_already_set();
}

template <class T>
T Unwrap(codeyard::Result<T> r) {
  if (!r) Raise(r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::shared_ptr<codeyard::Platform> Open(const std::string& storage_uri) {
  codeyard::Options options;
  options.storage_uri = storage_uri;
  codeyard::Result<std::shared_ptr<codeyard::Platform>> platform = [&] {
    py::gil_scoped_release release;
    return codeyard::Platform::Open(options);
  }();
  return Unwrap(std::move(platform));
}

std::shared_ptr<codeyard::Runner> NewRunner(const std::string& executor_uri, size_t pool_size) {
  // The library's one assembly, in memory and without background work: the runner keeps its
  // executor (shared ownership) after the rest of the graph is let go.
  codeyard::Options options;
  options.executor_uri = executor_uri;
  codeyard::ServiceOptions service_options;
  service_options.runner.pool_size = pool_size;
  service_options.start_background = false;
  std::shared_ptr<codeyard::Runner> runner;
  {
    py::gil_scoped_release release;
    auto services = codeyard::Services::Open(options, std::move(service_options));
    if (services) runner = (*services)->shared_runner();
    if (!services) {
      py::gil_scoped_acquire acquire;
      Raise(services.error());
    }
  }
  return runner;
}

// files: an ordered dict of name -> str or bytes; the first is the entry point.
py::dict Run(codeyard::Runner& runner, const py::dict& files, const std::string& language,
             const std::string& stdin_data, const std::vector<std::string>& args, double time_limit,
             double wall_time_limit, double memory_limit_mb, double output_limit_mb) {
  codeyard::RunRequest request;
  for (const auto& [name, content] : files) {
    codeyard::FileData file;
    file.path = py::cast<std::string>(name);
    file.content = py::isinstance<py::bytes>(content) ? std::string(py::cast<py::bytes>(content))
                                                      : py::cast<std::string>(content);
    request.files.push_back(std::move(file));
  }
  if (!language.empty()) request.language = Unwrap(codeyard::ParseLanguage(language));
  request.stdin_data = stdin_data;
  request.args = args;
  request.limits = codeyard::WithTimeLimit(request.limits, time_limit, wall_time_limit);
  request.limits.memory_bytes = static_cast<uint64_t>(memory_limit_mb * 1024 * 1024);
  request.limits.output_bytes = static_cast<uint64_t>(output_limit_mb * 1024 * 1024);
  codeyard::Result<codeyard::RunResult> result = [&] {
    py::gil_scoped_release release;
    return runner.Run(request);
  }();
  const codeyard::RunResult r = Unwrap(std::move(result));
  py::dict d;
  d["verdict"] = std::string(codeyard::VerdictName(r.verdict));
  d["exit_code"] = r.status.exit_code ? py::cast(*r.status.exit_code) : py::none();
  d["signal"] = r.status.signal ? py::cast(*r.status.signal) : py::none();
  d["cpu_ms"] = r.status.cpu_ms;
  d["wall_ms"] = r.status.wall_ms;
  d["memory_kb"] = r.status.memory_kb;
  d["stdout"] = py::bytes(r.stdout_data);
  d["stderr"] = py::bytes(r.stderr_data);
  d["output_truncated"] = r.status.output_truncated;
  d["compile_output"] = r.compile_output;
  d["message"] = r.message;
  return d;
}

}  // namespace

PYBIND11_MODULE(codeyard, m) {
  m.doc() = "Codeyard: workspaces, sandboxed execution and review, embedded in Python.";
  ErrorType() = py::reinterpret_borrow<py::object>(PyErr_NewExceptionWithDoc(
      "codeyard.Error", "A Codeyard library error; see .code.", PyExc_RuntimeError, nullptr));
  m.attr("Error") = ErrorType();
  m.def(
      "version", [] { return std::string(codeyard::Version()); }, "The library version.");
  m.def("new_uuid", &codeyard::NewUuid, "A random UUIDv4 string.");

  py::class_<codeyard::Platform, std::shared_ptr<codeyard::Platform>>(m, "Platform")
      .def_static("open", &Open, py::arg("storage_uri") = "sqlite::memory:",
                  "Open storage by URI (sqlite:///path.db, sqlite::memory:, postgres://...) "
                  "and apply migrations.")
      .def_property_readonly("schema_version", &codeyard::Platform::schema_version)
      .def("storage_info",
           [](const codeyard::Platform& p) {
             const codeyard::StorageInfo info = p.storage().Info();
             py::dict d;
             d["backend"] = info.backend;
             d["location"] = info.location;
             d["server_version"] = info.server_version;
             return d;
           })
      .def("ping", [](const codeyard::Platform& p) {
        codeyard::Result<void> r = [&] {
          py::gil_scoped_release release;
          return p.Ping();
        }();
        Unwrap(std::move(r));
      });

  py::class_<codeyard::Runner, std::shared_ptr<codeyard::Runner>>(m, "Runner")
      .def(py::init(&NewRunner), py::arg("executor") = "local:", py::arg("pool_size") = 0,
           "One-shot runs in fresh sandboxes (executor URI as in executor.uri).")
      .def("run", &Run, py::arg("files"), py::arg("language") = "", py::arg("stdin") = "",
           py::arg("args") = std::vector<std::string>{}, py::arg("time_limit") = 5.0,
           py::arg("wall_time_limit") = 0.0, py::arg("memory_limit_mb") = 256.0,
           py::arg("output_limit_mb") = 1.0,
           "Run {name: source} (the first file is the entry point); returns a dict with "
           "verdict, exit_code, signal, cpu_ms, wall_ms, memory_kb, stdout, stderr (bytes).");
}
