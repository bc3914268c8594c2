// Writing JSON text by hand where building a Boost.JSON value would cost more than the
// record itself (log lines). Invalid UTF-8 is replaced by U+FFFD so output is always JSON.
#pragma once

#include <string>
#include <string_view>

namespace codeyard {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace codeyard
