// Usage metering's writing half (codeyard/usage.hpp): what the executor reported for a
// finished process, added to the day's usage row of its user and organization. Jobs record in
// their completion transaction (RecordJob); a command or interactive run in a workspace is
// metered by wrapping its Process (Metered), which records once, when Wait first returns the
// status. Functions are safe from any thread; a Metered process, as any, is driven by one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"
#include "codeyard/backend/storage.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/records.hpp"
#include "codeyard/run.hpp"

namespace codeyard::usage {

// The UTC date of a time in milliseconds since the epoch, "YYYY-MM-DD".
[[nodiscard]] std::string DayOf(int64_t unix_ms);

// The executor's report of one process as usage.
[[nodiscard]] JobUsage UsageOf(const ExitStatus& status);

// meter20: a one-shot run's usage: its program's, plus its compile step's when it compiled
// (under kCompileError the status is the compiler's already).
[[nodiscard]] JobUsage UsageOfRun(const RunResult& run);
// Adds `more` (a compile step) to `used`: sums, and the larger peak.
void AddUsage(JobUsage& used, const ExitStatus& more);

// The organization a job's or a workspace's usage counts under ('' when it has none).
[[nodiscard]] std::string OrgOf(const Job& job);
[[nodiscard]] std::string OrgOf(const Workspace& workspace);

// One finished job (jobs + 1) of its owner, on the day `now_ms` falls in.
[[nodiscard]] Result<void> RecordJob(Transaction& tx, int64_t now_ms, const Job& job,
                                     const JobUsage& used);

// One finished run (runs + 1) of `user_id` under `org_id`, on the day `now_ms` falls in.
[[nodiscard]] Result<void> RecordRun(Transaction& tx, int64_t now_ms, std::string_view org_id,
                                     std::string_view user_id, const ExitStatus& status);

// Whether `caller_id` may read the usage of organization `org_id`: its owners and admins.
[[nodiscard]] Result<bool> MayReadOrg(Transaction& tx, std::string_view caller_id,
                                      std::string_view org_id);

// Wraps `process` so that `on_exit` is called once with its status, when Wait first returns
// it; a process destroyed before Wait is killed and waited for, so its use is reported too.
[[nodiscard]] std::unique_ptr<Process> Metered(std::unique_ptr<Process> process,
                                               std::function<void(const ExitStatus&)> on_exit);

}  // namespace codeyard::usage
