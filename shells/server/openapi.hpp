// The OpenAPI 3.1 document of the REST API. The source of truth is shells/server/openapi.json
// in the source tree; the build embeds its bytes unchanged (cmake/embed_file.cmake generates
// openapi_json.cpp), so GET /api/v1/openapi.json serves exactly the file. A test checks that it
// documents every route the server registers and nothing else.
#pragma once

#include <string_view>

namespace codeyard::server {

// The document, byte for byte as in the source tree.
[[nodiscard]] std::string_view OpenApiJson() noexcept;

}  // namespace codeyard::server
