// Library errors as Python exceptions: codeyard.Error (a RuntimeError) and one subclass per
// Error::Code, so `except codeyard.NotFound` catches exactly what the C++ API calls kNotFound.
#include <array>
#include <string>

#include "common.hpp"

namespace codeyard::python {
namespace {

struct ErrorClass {
  Error::Code code;
  const char* name;
  const char* doc;
};

constexpr std::array<ErrorClass, 14> kClasses = {{
    {Error::Code::kInvalidArgument, "InvalidArgument", "The input is wrong; retrying fails again."},
    {Error::Code::kNotFound, "NotFound", "The named thing does not exist, or is not the caller's."},
    {Error::Code::kAlreadyExists, "AlreadyExists", "A unique name or id is taken."},
    {Error::Code::kConflict, "Conflict", "A stale version: read again and retry the edit."},
    {Error::Code::kFailedPrecondition, "FailedPrecondition",
     "The system is not in a state that allows the call."},
    {Error::Code::kPermissionDenied, "PermissionDenied", "Authenticated, but not allowed."},
    {Error::Code::kUnauthenticated, "Unauthenticated", "No valid credentials."},
    {Error::Code::kResourceExhausted, "ResourceExhausted",
     "A quota, cap or rate limit was hit; see .limit and .retry_after."},
    {Error::Code::kAborted, "Aborted", "A concurrency failure; retry the call."},
    {Error::Code::kUnavailable, "Unavailable", "A dependency is down or busy; retry later."},
    {Error::Code::kDeadlineExceeded, "DeadlineExceeded", "The call ran out of time."},
    {Error::Code::kUnimplemented, "Unimplemented", "The backend does not offer this capability."},
    {Error::Code::kDataLoss, "DataLoss", "Stored data is corrupt or unreadable."},
    {Error::Code::kInternal, "Internal", "A bug or an unexpected failure of a dependency."},
}};

// Owned by the module for the life of the interpreter (never decref'd: exceptions may be
// raised while the module is being torn down).
PyObject* g_base = nullptr;
std::array<PyObject*, kClasses.size()> g_classes{};

}  // namespace

void Raise(const Error& error) {
  PyObject* type = g_base;
  for (std::size_t i = 0; i < kClasses.size(); ++i) {
    if (kClasses[i].code == error.code()) type = g_classes[i];
  }
  py::object exc = py::reinterpret_borrow<py::object>(type)(error.message());
  exc.attr("code") = std::string(CodeName(error.code()));
  exc.attr("message") = error.message();
  exc.attr("limit") = error.limit().empty() ? py::none() : py::cast(error.limit());
  exc.attr("retry_after") = error.retry_after_s();
  PyErr_SetObject(type, exc.ptr());
  throw py::error_already_set();
}

void AddErrors(py::module_& m) {
  g_base = PyErr_NewExceptionWithDoc(
      "codeyard.Error",
      "A Codeyard library error. .code is the snake_case code (\"not_found\"), .message the "
      "one-line text, .limit the configuration key of a limit that refused the call (or None) "
      "and .retry_after the seconds to wait before retrying (0: waiting will not help).",
      PyExc_RuntimeError, nullptr);
  m.attr("Error") = py::reinterpret_borrow<py::object>(g_base);
  for (std::size_t i = 0; i < kClasses.size(); ++i) {
    const std::string qualified = std::string("codeyard.") + kClasses[i].name;
    g_classes[i] = PyErr_NewExceptionWithDoc(qualified.c_str(), kClasses[i].doc, g_base, nullptr);
    m.attr(kClasses[i].name) = py::reinterpret_borrow<py::object>(g_classes[i]);
  }
}

}  // namespace codeyard::python
