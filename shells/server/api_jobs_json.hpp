// Shapes of the job routes (api_jobs.cpp) and of POST /api/v1/run (api_run.cpp), which is a
// job too: the request body as a RunJob (types only: the bounds are the library's rules,
// Jobs::ToRunRequest), a job and a run's result as JSON, and the answer of a refused
// submission with its RateLimit headers. Pure functions.
#pragma once

#include <boost/json.hpp>

#include <chrono>

#include "codeyard/jobs.hpp"
#include "router.hpp"

namespace codeyard::server {

// {"language","files":{"name":"content"},"stdin"?,"args"?,"time_limit_s"?,"memory_limit_mb"?,
// "output_limit_kb"?}; kInvalidArgument naming the field for a wrong type.
[[nodiscard]] Result<RunJob> ParseRunJob(const boost::json::object& body);

// The fields POST /api/v1/run answers: verdict, exit_code, signal, stdout, stderr, cpu_ms,
// wall_ms, memory_kb, output_truncated, compile_output, compile_ms, message.
[[nodiscard]] boost::json::object RunJson(const RunResult& run);

// {"id","kind","state","attempt","created_at","started_at","finished_at"} and, once a run job
// is done, RunJson's fields (another kind's: "verdict").
[[nodiscard]] boost::json::object JobJson(const Job& job);

// The `wait` query parameter of a long-poll read: 0 to 30 seconds (0 when absent).
[[nodiscard]] Result<std::chrono::milliseconds> WaitOf(const Request& r);

// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset for the user's tighter job limit.
void AddQuotaHeaders(Response& response, const JobQuota& quota);

// The error answer of a refused Submit: a 429 of a per-user limit carries the RateLimit
// headers (remaining 0) beside Retry-After; a full queue is 503 with Retry-After.
[[nodiscard]] Response SubmitRefused(const Error& error, const JobsOptions& options,
                                     std::string_view request_id);

}  // namespace codeyard::server
