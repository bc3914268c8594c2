// Shared pieces of the `codeyard` Python module (bindings/python): how a library error becomes
// a Python exception, how a blocking call lets go of the GIL, and how the service wrappers keep
// what they use alive. Every file of the module includes it; each adds its classes to the
// module through one Add* function called from module.cpp.
//
// Threading: Unwrap and Raise need the GIL; Blocking releases it around the call it is given,
// which must not touch Python objects.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "codeyard/error.hpp"

namespace codeyard::python {

namespace py = pybind11;

// Raises the exception class of the error's code (codeyard.NotFound, ...), with .code,
// .message, .limit and .retry_after set.
[[noreturn]] void Raise(const Error& error);

template <class T>
T Unwrap(Result<T> r) {
  if (!r) Raise(r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// Runs `f` (a call into the library that may block on storage, a pod or a queue) without the
// GIL, then raises its error or returns its value with the GIL held again.
template <class F>
auto Blocking(F&& f) {
  using R = std::invoke_result_t<F>;
  R result = [&]() -> R {
    py::gil_scoped_release release;
    return f();
  }();
  if (!result) Raise(result.error());
  if constexpr (!std::is_void_v<typename R::value_type>)
    return typename R::value_type(std::move(*result));
}

// Bytes or str from Python as the library's byte string.
inline std::string BytesOf(const py::handle& value) {
  if (py::isinstance<py::bytes>(value))
    return std::string(py::reinterpret_borrow<py::bytes>(value));
  if (py::isinstance<py::bytearray>(value)) {
    return std::string(py::reinterpret_borrow<py::bytearray>(value));
  }
  return py::cast<std::string>(value);
}

// Seconds (a Python float) as milliseconds, for waits.
inline std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

// "<Name id=... name='...'>" helpers for __repr__.
inline std::string Quote(const std::string& text) { return "'" + text + "'"; }

void AddErrors(py::module_& m);
void AddRecords(py::module_& m);
void AddAccounts(py::module_& m);
void AddWorkspaces(py::module_& m);
void AddFiles(py::module_& m);
void AddTerminals(py::module_& m);
void AddJobs(py::module_& m);
void AddProblems(py::module_& m);
void AddReviews(py::module_& m);
void AddRunner(py::module_& m);
// py19b
void AddIde(py::module_& m);
void AddRuns(py::module_& m);
void AddLive(py::module_& m);
void AddImages(py::module_& m);

}  // namespace codeyard::python
