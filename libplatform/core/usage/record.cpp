#include "core/usage/record.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <utility>

#include "codeyard/backend/process_wrapper.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/usage.hpp"
#include "core/store/users.hpp"
#include "core/try.hpp"

namespace codeyard::usage {
namespace {

// How long a process destroyed while running may take to report its end after SIGKILL.
constexpr std::chrono::seconds kExitWait{5};

class MeteredProcess final : public ProcessWrapper {
 public:
  MeteredProcess(std::unique_ptr<Process> target, std::function<void(const ExitStatus&)> on_exit)
      : ProcessWrapper(std::move(target)), on_exit_(std::move(on_exit)) {}

  ~MeteredProcess() override {
    if (reported_ || !on_exit_) return;
    // Destroying a running process kills it; kill it here instead, so its use is known. The
    // exit comes with the end of its output; a pod that does not answer (stopped, hung) never
    // reports it, so the wait is bounded and its use then goes unrecorded (fault21: Wait()
    // alone pinned the request's thread to a SIGSTOPped pod for good).
    (void)Signal(SIGKILL);
    const auto deadline = std::chrono::steady_clock::now() + kExitWait;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      auto chunk = ReadOutput(left);
      if (!chunk) return;
      if (!*chunk) break;
    }
    (void)Wait();
  }

  Result<ExitStatus> Wait() override {
    auto status = ProcessWrapper::Wait();
    if (status && !reported_) {
      reported_ = true;
      if (on_exit_) on_exit_(*status);
    }
    return status;
  }

 private:
  std::function<void(const ExitStatus&)> on_exit_;
  bool reported_ = false;
};

store::usage::Delta DeltaOf(const JobUsage& used) {
  store::usage::Delta d;
  d.cpu_ms = used.cpu_ms;
  d.wall_ms = used.wall_ms;
  d.peak_memory_bytes = static_cast<int64_t>(used.peak_memory_bytes);
  return d;
}

}  // namespace

std::string DayOf(int64_t unix_ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(unix_ms)};
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

JobUsage UsageOf(const ExitStatus& status) {
  JobUsage used;
  used.cpu_ms = status.cpu_ms;
  used.wall_ms = status.wall_ms;
  used.peak_memory_bytes = status.memory_kb * 1024;
  return used;
}

JobUsage UsageOfRun(const RunResult& run) {
  JobUsage used = UsageOf(run.status);
  if (run.verdict != Verdict::kCompileError) AddUsage(used, run.compile_status);
  return used;
}

void AddUsage(JobUsage& used, const ExitStatus& more) {
  used.cpu_ms += more.cpu_ms;
  used.wall_ms += more.wall_ms;
  used.peak_memory_bytes = std::max<uint64_t>(used.peak_memory_bytes, more.memory_kb * 1024);
}

// A personal organization's id is its user's id (codeyard/orgs.hpp).
std::string OrgOf(const Job& job) { return job.org_id.empty() ? job.owner_id : job.org_id; }

std::string OrgOf(const Workspace& workspace) {
  return workspace.org_id.empty() ? workspace.owner_id : workspace.org_id;
}

Result<void> RecordJob(Transaction& tx, int64_t now_ms, const Job& job, const JobUsage& used) {
  store::usage::Delta d = DeltaOf(used);
  d.jobs = 1;
  return store::usage::Add(tx, DayOf(now_ms), OrgOf(job), job.owner_id, d);
}

Result<void> RecordRun(Transaction& tx, int64_t now_ms, std::string_view org_id,
                       std::string_view user_id, const ExitStatus& status) {
  store::usage::Delta d = DeltaOf(UsageOf(status));
  d.runs = 1;
  return store::usage::Add(tx, DayOf(now_ms), org_id, user_id, d);
}

Result<bool> MayReadOrg(Transaction& tx, std::string_view caller_id, std::string_view org_id) {
  if (caller_id.empty()) return false;
  // The organization's owners and admins, and platform admins (who act as owners everywhere).
  CY_TRY(const std::optional<OrgRole> role, orgs::RoleOf(tx, org_id, caller_id));
  if (role && (*role == OrgRole::kOwner || *role == OrgRole::kAdmin)) return true;
  CY_TRY(const User caller, store::users::Get(tx, caller_id));
  return caller.role == Role::kAdmin;
}

std::unique_ptr<Process> Metered(std::unique_ptr<Process> process,
                                 std::function<void(const ExitStatus&)> on_exit) {
  return std::make_unique<MeteredProcess>(std::move(process), std::move(on_exit));
}

}  // namespace codeyard::usage
