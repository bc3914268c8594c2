# cmake -DINPUT=file -DOUTPUT=file.cpp -DFUNCTION=Name -P embed_file.cmake
# Writes a C++ file defining `std::string_view codeyard::server::Name() noexcept` that returns
# INPUT's bytes exactly (as a byte array, so no character of the file needs escaping).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by embed_file.cmake; do not edit.
#include <string_view>

namespace codeyard::server {
namespace {
constexpr char kBytes[] = {
    ${bytes}'\\0'};
}  // namespace

std::string_view ${FUNCTION}() noexcept { return {kBytes, ${size}}; }

}  // namespace codeyard::server
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
