// The text of an errno value, thread-safe (std::strerror shares one buffer between threads).
#pragma once

#include <string>
#include <system_error>

namespace codeyard {

[[nodiscard]] inline std::string ErrnoText(int err) { return std::generic_category().message(err); }

}  // namespace codeyard
