// Interactive runs (grading): the submission and the problem's interactor each in a pod of
// their own, the library carrying the submission's stdout to the interactor's stdin and the
// interactor's stdout back (stderr of either side is kept apart, never piped). Kattis
// interactor protocol: `interactor input answer feedback_dir`, exit 42 accepted, 43 wrong
// answer. One thread per side drives its process; the call blocks until both ended.
#pragma once

#include <string>

#include "codeyard/run.hpp"
#include "core/grading/checkers.hpp"

namespace codeyard::grading {

struct InteractiveOutcome {
  RunResult submission;  // verdict by the submission's own limits; stdout is what it sent
  RunResult interactor;  // with the feedback dir in `collected`
};

// Runs one test. A deadlock (both sides waiting to read) ends at the submission's wall limit
// (time_limit_exceeded), after which the interactor reads end of file. Errors: a side that
// could not start.
[[nodiscard]] Result<InteractiveOutcome> RunInteractive(PreparedProgram& submission,
                                                        PreparedProgram& interactor,
                                                        std::string_view input,
                                                        std::string_view expected);

}  // namespace codeyard::grading
