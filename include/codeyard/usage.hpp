// Usage metering (issue 20): what each user's processes used per day and organization, as
// the executor accounted it (its ExitStatus: CPU time from the kernel's rusage of the process
// and its reaped children, wall time, peak resident memory), never estimated. Recorded by the
// library where work finishes: a job in its completion transaction (JobOutcome::usage), a
// command or an interactive Run in a workspace when its process is waited for. Stored as
// daily rows (`usage_daily`, migration 0018) keyed by (day, organization, user): CPU and wall
// milliseconds, the day's largest peak memory, jobs and runs finished, and the bytes the
// user's workspaces in that organization stored as of the day's last record.
//
// `Usage` reads them back: an organization's report (its owners and admins only; anyone else
// gets kNotFound, as for other people's resources), a user's own, per-organization totals for
// metrics, and CSV. Threading: every method is safe from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"

namespace codeyard {

class Platform;

// One day's usage of a user in an organization, or a sum of such rows (day or user_id empty).
struct UsageRow {
  std::string day;  // "YYYY-MM-DD" (UTC)
  std::string org_id;
  std::string user_id;
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t peak_memory_bytes = 0;  // the largest of the rows summed
  int64_t jobs = 0;
  int64_t runs = 0;
  int64_t stored_bytes = 0;  // as of the day; in a sum, the latest day's (summed over users)

  friend bool operator==(const UsageRow&, const UsageRow&) = default;
};

struct UsageReport {
  std::string org_id;   // an organization's report; "" for a user's own
  std::string user_id;  // a user's own report; "" for an organization's
  std::string from;     // the dates asked for, inclusive
  std::string to;
  std::vector<UsageRow> days;     // per day and member (a user's: per day and organization)
  std::vector<UsageRow> members;  // per member over the range (a user's: per organization)
  UsageRow totals;                // over the whole range
};

struct UsageOptions {
  int max_days = 366;            // usage.max_days: the longest range one report may ask for
  size_t metrics_max_orgs = 50;  // usage.metrics_max_orgs: see Usage::OrgTotals
};

struct Config;
[[nodiscard]] UsageOptions UsageOptionsFrom(const Config& config);

// The name the organizations past UsageOptions::metrics_max_orgs are summed under.
inline constexpr std::string_view kOtherOrgs = "_other";
// The name users' personal organizations are summed under in the totals: each is one user's,
// and metrics never carry a label per user.
inline constexpr std::string_view kPersonalOrgs = "_personal";

// The dates of a report: "YYYY-MM-DD" each; `to` empty = today (UTC, from the Platform's
// clock), `from` empty = 29 days before `to`. kInvalidArgument naming 'from' or 'to' for a
// malformed or impossible date, from after to, or a range over `max_days`.
struct UsageRange {
  std::string from;
  std::string to;
};

class Usage {
 public:
  explicit Usage(std::shared_ptr<Platform> platform, UsageOptions options = {});

  // An organization's usage: rows per day and member, sums per member and in all. Only its
  // owners and admins may read it: kNotFound for anyone else and for an unknown organization.
  [[nodiscard]] Result<UsageReport> ForOrg(std::string_view caller_id, std::string_view org_id,
                                           const UsageRange& range);

  // A user's own usage across their organizations.
  [[nodiscard]] Result<UsageReport> ForUser(std::string_view user_id, const UsageRange& range);

  // Totals since the first record, one row per organization (day and user_id empty), with
  // stored_bytes what its workspaces store now, for the per-organization metrics. Personal
  // organizations are summed into one row, kPersonalOrgs. Of the others, at most
  // `metrics_max_orgs` (the most CPU time first, ties by id) keep their own row; the rest are
  // summed into one row, kOtherOrgs, so the series count stays bounded however many
  // organizations there are. The sum rows come last, each only when it sums something.
  [[nodiscard]] Result<std::vector<UsageRow>> OrgTotals();

 private:
  std::shared_ptr<Platform> platform_;
  UsageOptions options_;
};

// A report as CSV (RFC 4180, a header line, "\r\n" line ends): one line per row of
// `report.days`, with the columns day, org_id, user_id, cpu_seconds, wall_seconds,
// peak_memory_bytes, jobs, runs, stored_bytes.
[[nodiscard]] std::string UsageCsv(const UsageReport& report);

}  // namespace codeyard
