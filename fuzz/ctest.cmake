# The short fuzz runs of ./scripts/test (issue 21), registered in the ordinary build/ tree:
# each entry runs a group of targets already built in build-fuzz/ (scripts/test builds them
# with `./scripts/fuzz --build-only`) for CODEYARD_FUZZ_SECONDS seconds each on their seed
# corpora. Skipped (exit 77) when build-fuzz/ has not been built. Groups keep the entries
# two to three minutes each (the issue's ≈ 30 s a target), so two run side by side with the
# sanitizer suites on 2 cores.
set(CODEYARD_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzz target runs in ctest's short runs")
set(codeyard_fuzz_groups
  "parsers:paths syncignore terminal lsp router cli_login"
  "streams:pod_protocol http_exchange kube"
  "inputs:config problem_package search request_body")
foreach(group IN LISTS codeyard_fuzz_groups)
  string(REPLACE ":" ";" parts "${group}")
  list(GET parts 0 name)
  list(GET parts 1 targets)
  separate_arguments(targets UNIX_COMMAND "${targets}")
  list(LENGTH targets count)
  math(EXPR cost "${count} * ${CODEYARD_FUZZ_SECONDS} + 10")
  add_test(NAME fuzz_${name}
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/fuzz --no-build --seconds ${CODEYARD_FUZZ_SECONDS}
                   ${targets}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz COST ${cost} SKIP_RETURN_CODE 77
                       TIMEOUT 600)
endforeach()
