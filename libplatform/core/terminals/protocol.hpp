// The library-internal half of the terminal wire format (the public half, message types,
// close codes and the hello, is in codeyard/terminals.hpp): status messages and the close
// for a failed attach. No state; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "codeyard/error.hpp"
#include "codeyard/terminals.hpp"

namespace codeyard::terminal {

// A status message: '3' followed by `status` serialized.
[[nodiscard]] std::string StatusMessage(const boost::json::object& status);

// The close for a failed attach: the error's code mapped to a close code, its message as
// the reason.
[[nodiscard]] Close CloseFor(const Error& error);

}  // namespace codeyard::terminal
