// Usage metering (codeyard/usage.hpp) on both storage backends: a known workload run in a
// workspace is recorded with the CPU time the kernel measured for that process (within 1%),
// rows add up per day (sums, the day's largest peak), reports check their dates and who may
// read an organization's, CSV is what a spreadsheet reads, and the per-organization totals
// never carry a user.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "codeyard/usage.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/orgs.hpp"
#include "core/store/transact.hpp"
#include "core/store/usage.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"
#include "services/must.hpp"
#include "services/workspace_world.hpp"

using namespace codeyard;
using namespace codeyard::testing;

namespace {

// Burns about a second of CPU, then prints the CPU seconds the kernel counted for the process
// (CLOCK_PROCESS_CPUTIME_ID, from its start) and leaves at once, so that little runs after
// the measurement.
constexpr const char* kBusyLoop =
    "import os, time\n"
    "while time.process_time() < 1.0:\n"
    "    pass\n"
    "print(repr(time.process_time()), flush=True)\n"
    "os._exit(0)\n";

void Add(Platform& p, const std::string& day, const std::string& org, const std::string& user,
         store::usage::Delta d) {
  Must(store::Transact(p.storage(), TxKind::kWrite,
                       [&](Transaction& tx) { return store::usage::Add(tx, day, org, user, d); }));
}

}  // namespace

TEMPLATE_TEST_CASE("usage: a busy loop in a workspace is recorded as the kernel measured it",
                   "[services][usage]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  const std::string ws = Must(w.workspaces().Create(w.alice, "Busy")).id;
  (void)Must(w.files().Write(w.alice, ws, "notes.txt", "twelve bytes"));
  ExecSpec spec;
  spec.argv = {"python3", "-c", kBusyLoop};
  spec.wall_time_limit = std::chrono::seconds(30);
  const WorkspaceExec ran = Must(w.workspaces().Exec(w.alice, ws, spec));
  REQUIRE(ran.status.exit_code == 0);
  const double kernel_ms = std::strtod(ran.stdout_data.c_str(), nullptr) * 1000.0;
  REQUIRE(kernel_ms >= 1000.0);

  Usage usage(w.shared_platform());
  const UsageReport mine = Must(usage.ForUser(w.alice, {}));
  REQUIRE(mine.days.size() == 1);
  const UsageRow& day = mine.days[0];
  CHECK(day.day == usage::DayOf(w.clock().NowMillis()));
  CHECK(day.org_id == w.alice);  // the personal organization
  CHECK(day.runs == 1);
  CHECK(day.jobs == 0);
  CHECK(day.cpu_ms == ran.status.cpu_ms);
  CHECK(day.wall_ms == ran.status.wall_ms);
  CHECK(day.peak_memory_bytes == static_cast<int64_t>(ran.status.memory_kb) * 1024);
  CHECK(day.peak_memory_bytes > 0);
  CHECK(day.stored_bytes == 12);  // what the user's workspaces store
  // Within 1% of the kernel's own count for the process (the rest is its exit).
  CHECK(static_cast<double>(day.cpu_ms) >= kernel_ms - 1.0);
  CHECK(static_cast<double>(day.cpu_ms) <= kernel_ms * 1.01);
  CHECK(day.wall_ms >= day.cpu_ms - 10);
  CHECK(mine.totals.runs == 1);
  CHECK(Must(usage.ForUser(w.bob, {})).days.empty());
}

TEMPLATE_TEST_CASE("usage: daily rows add up, reports check dates and readers, CSV",
                   "[services][usage]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  Platform& p = w.platform();
  Add(p, "2026-03-01", w.alice, w.alice, {1500, 2000, 1000, 1, 0});
  Add(p, "2026-03-01", w.alice, w.alice, {250, 400, 5000, 0, 1});
  Add(p, "2026-03-01", w.alice, w.alice, {0, 0, 3000, 1, 0});
  Add(p, "2026-03-02", w.alice, w.alice, {10, 20, 30, 0, 1});
  Add(p, "2026-03-01", w.bob, w.bob, {7, 7, 7, 1, 0});

  Usage usage(w.shared_platform());
  const UsageReport r =
      Must(usage.ForOrg(w.alice, w.alice, UsageRange{"2026-03-01", "2026-03-31"}));
  CHECK(r.from == "2026-03-01");
  CHECK(r.to == "2026-03-31");
  REQUIRE(r.days.size() == 2);
  CHECK(r.days[0].cpu_ms == 1750);
  CHECK(r.days[0].wall_ms == 2400);
  CHECK(r.days[0].peak_memory_bytes == 5000);  // the largest, not a sum
  CHECK(r.days[0].jobs == 2);
  CHECK(r.days[0].runs == 1);
  REQUIRE(r.members.size() == 1);
  CHECK(r.members[0].user_id == w.alice);
  CHECK(r.members[0].cpu_ms == 1760);
  CHECK(r.totals.jobs == 2);
  CHECK(r.totals.runs == 2);
  CHECK(r.totals.peak_memory_bytes == 5000);
  // One day only.
  CHECK(Must(usage.ForOrg(w.alice, w.alice, {"2026-03-02", "2026-03-02"})).days.size() == 1);

  // Someone else's organization is not found, as is one that does not exist.
  CHECK(Failure(usage.ForOrg(w.bob, w.alice, {"2026-03-01", "2026-03-31"})).code() ==
        Error::Code::kNotFound);
  CHECK(Failure(usage.ForOrg(w.alice, "no-such-org", {})).code() == Error::Code::kNotFound);

  // Dates: real ones, in order, within usage.max_days.
  for (const UsageRange& bad :
       {UsageRange{"2026-02-30", ""}, UsageRange{"2026-3-01", ""}, UsageRange{"", "yesterday"},
        UsageRange{"2026-03-02", "2026-03-01"}, UsageRange{"2024-01-01", "2026-01-01"}}) {
    const Error e = Failure(usage.ForUser(w.alice, bad));
    CHECK(e.code() == Error::Code::kInvalidArgument);
    CHECK(e.message().find("usage:") == 0);
  }

  const std::string csv = UsageCsv(r);
  CHECK(csv.starts_with(
      "day,org_id,user_id,cpu_seconds,wall_seconds,peak_memory_bytes,jobs,runs,stored_bytes\r\n"));
  CHECK(csv.find("2026-03-01," + w.alice + "," + w.alice + ",1.750,2.400,5000,2,1,") !=
        std::string::npos);
  CHECK(csv.find("2026-03-02," + w.alice + "," + w.alice + ",0.010,0.020,30,0,1,") !=
        std::string::npos);

  // Totals for metrics: personal organizations are one user's each, so they are summed.
  const auto totals = Must(usage.OrgTotals());
  REQUIRE(totals.size() == 1);
  CHECK(totals[0].org_id == kPersonalOrgs);
  CHECK(totals[0].cpu_ms == 1767);
  CHECK(totals[0].jobs == 3);
  CHECK(totals[0].runs == 2);
}

TEMPLATE_TEST_CASE("usage: the CPU-seconds-per-day quota refuses the next run, naming itself",
                   "[services][usage][orgs]", CODEYARD_STORAGE_BACKENDS) {
  WorkspaceWorld w(TestType::Create());
  Platform& p = w.platform();
  const std::string ws = Must(w.workspaces().Create(w.alice, "Quota")).id;
  const std::string today = usage::DayOf(w.clock().NowMillis());
  // Alice's personal organization (id = her id) may use 2 CPU-seconds a day.
  SetOrgCpuSecondsPerDay(p, w.alice, 2);
  ExecSpec spec;
  spec.argv = {"true"};
  Add(p, today, w.alice, w.alice, {1500, 1500, 0, 0, 1});  // 1 of 2 whole seconds: room left
  CHECK(Must(w.workspaces().Exec(w.alice, ws, spec)).status.exit_code == 0);
  Add(p, today, w.alice, w.alice, {1000, 1000, 0, 0, 1});  // 2.5 s: the quota is spent
  const Error refused = testing::Failure(w.workspaces().Exec(w.alice, ws, spec));
  CHECK(refused.code() == Error::Code::kResourceExhausted);
  CHECK(refused.limit() == "org.max_cpu_seconds_per_day");
  CHECK(refused.message().find("2 of 2 CPU-seconds today") != std::string::npos);
  // Tomorrow, today's use no longer counts.
  Must(store::Transact(p.storage(), TxKind::kWrite, [&](Transaction& tx) {
    return orgs::CheckCpuSecondsPerDay(tx, w.alice, w.alice, w.clock().NowMillis() + 86'400'000);
  }));
  // Bob has his own organization and quota (none): he runs.
  const std::string bobs = Must(w.workspaces().Create(w.bob, "Free")).id;
  CHECK(Must(w.workspaces().Exec(w.bob, bobs, spec)).status.exit_code == 0);
}
