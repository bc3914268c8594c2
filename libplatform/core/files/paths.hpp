// Helpers of the path rule (paths.cpp) that other parts of core share.
#pragma once

#include <string_view>

namespace codeyard {

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
[[nodiscard]] bool IsUtf8(std::string_view s);

}  // namespace codeyard
