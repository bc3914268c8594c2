# Sanitizer and fuzzing builds (issue 21). CODEYARD_SANITIZE is a comma-separated list passed
# to -fsanitize= on every target, compile and link: "address,undefined" (the fuzz tree,
# build-fuzz/, adds "fuzzer-no-link" so libFuzzer sees coverage of the library), or "thread".
# Empty (the default) builds the product as shipped.
#
# Clang 16 with Debian's libstdc++ 12: <expected> is hidden unless __cpp_concepts reads
# 202002L, which clang 16 supports in substance but does not advertise; the macro is raised
# for clang only. g++'s PCH-only warning switches (CMakeLists.txt) are g++'s alone.
set(CODEYARD_SANITIZE "" CACHE STRING
    "Sanitizers for every target, e.g. address,undefined or thread (empty: none)")

if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wno-builtin-macro-redefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-U__cpp_concepts>
                      $<$<COMPILE_LANGUAGE:CXX>:-D__cpp_concepts=202002L>)
endif()

if(CODEYARD_SANITIZE)
  set(codeyard_sanitize_flags -fsanitize=${CODEYARD_SANITIZE} -fno-omit-frame-pointer)
  if(CODEYARD_SANITIZE MATCHES "undefined")
    # A report is a failure, not a line in a log.
    list(APPEND codeyard_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${codeyard_sanitize_flags})
  add_link_options(${codeyard_sanitize_flags})
endif()
