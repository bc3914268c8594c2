// The rules of workspaces that do not need a pod: the name rule and the options a Config
// names. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard::workspaces {

// A workspace name under the shared name rule (NormalizeName: UTF-8, no control, invisible
// or bidi-control characters, NFC), 1-100 characters. Returns the stored (NFC) form.
[[nodiscard]] Result<std::string> ValidName(std::string_view name);

}  // namespace codeyard::workspaces
