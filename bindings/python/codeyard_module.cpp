// Python bindings: a thin layer over the public API. Library errors become
// `codeyard.Error` (with `.code`, e.g. "not_found"); the GIL is released around every call
// that may block on storage.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "codeyard/codeyard.hpp"

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
  codeyard::Result<std::unique_ptr<codeyard::Platform>> platform = [&] {
    py::gil_scoped_release release;
    return codeyard::Platform::Open(options);
  }();
  return std::shared_ptr<codeyard::Platform>(Unwrap(std::move(platform)));
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
}
