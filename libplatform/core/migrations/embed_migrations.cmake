# cmake -DOUTPUT=file.cpp -DFILES="a.sql;b.sql;..." -P embed_migrations.cmake
# Writes a C++ file defining `std::span<const Migration> codeyard::EmbeddedMigrations()`: one
# Migration per NNNN_<name>.sql file, in version order, with the file's bytes exactly (as
# byte arrays, so nothing in the SQL needs escaping) and the name with '_' read as ' '.
# Fails unless the versions run 1, 2, 3, ... with no gap or repeat.
list(SORT FILES)
set(arrays "")
set(entries "")
set(expected 1)
foreach(path IN LISTS FILES)
  get_filename_component(base "${path}" NAME)
  if(NOT base MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file ${base}: expected NNNN_<lowercase_name>.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  string(REPLACE "_" " " name "${CMAKE_MATCH_2}")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migration file ${base}: expected version ${expected} next")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){16})" "\\1\n    " bytes "${bytes}")
  string(APPEND arrays "// ${base}\nconstexpr char kSql${version}[] = {\n    ${bytes}'\\0'};\n")
  string(APPEND entries
         "    Migration{${version}, \"${name}\", std::string_view(kSql${version}, ${size})},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from libplatform/core/migrations/*.sql by embed_migrations.cmake; do not edit.
#include <array>
#include <span>
#include <string_view>

#include \"codeyard/backend/schema.hpp\"

namespace codeyard {
namespace {
${arrays}
constexpr std::array kMigrations = {
${entries}};
}  // namespace

std::span<const Migration> EmbeddedMigrations() { return kMigrations; }

}  // namespace codeyard
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
