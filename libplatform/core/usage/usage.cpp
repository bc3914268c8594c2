// The Usage service (codeyard/usage.hpp): reports over the daily rows, their CSV, the
// per-organization totals.
#include "codeyard/usage.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

#include "codeyard/config.hpp"
#include "codeyard/platform.hpp"
#include "core/orgs/org_rules.hpp"
#include "core/store/transact.hpp"
#include "core/store/usage.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"

namespace codeyard {
namespace {

using Days = std::chrono::sys_days;

// "YYYY-MM-DD", a real date; kInvalidArgument naming `field` otherwise.
Result<Days> ParseDay(std::string_view text, std::string_view field) {
  const auto bad = [&] {
    return Fail(Error::Code::kInvalidArgument, "usage: '" + std::string(field) +
                                                   "' must be a date YYYY-MM-DD, not \"" +
                                                   std::string(text.substr(0, 32)) + "\"");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < lengths[i]; ++j) {
      const char c = text[starts[i] + j];
      if (c < '0' || c > '9') return bad();
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year(parts[0]),
                                        std::chrono::month(static_cast<unsigned>(parts[1])),
                                        std::chrono::day(static_cast<unsigned>(parts[2]))};
  if (!ymd.ok()) return bad();
  return Days(ymd);
}

std::string Format(Days d) {
  return usage::DayOf(
      std::chrono::duration_cast<std::chrono::milliseconds>(d.time_since_epoch()).count());
}

UsageRow FromStore(store::usage::Row r) {
  UsageRow out;
  out.day = std::move(r.day);
  out.org_id = std::move(r.org_id);
  out.user_id = std::move(r.user_id);
  out.cpu_ms = r.cpu_ms;
  out.wall_ms = r.wall_ms;
  out.peak_memory_bytes = r.peak_memory_bytes;
  out.jobs = r.jobs;
  out.runs = r.runs;
  out.stored_bytes = r.stored_bytes;
  return out;
}

// Adds `row` into `sum`; rows come in day order, so the latest day's stored_bytes wins.
void Accumulate(UsageRow& sum, const UsageRow& row) {
  sum.cpu_ms += row.cpu_ms;
  sum.wall_ms += row.wall_ms;
  sum.peak_memory_bytes = std::max(sum.peak_memory_bytes, row.peak_memory_bytes);
  sum.jobs += row.jobs;
  sum.runs += row.runs;
}

// Fills members (grouped by `key`) and totals from days.
template <typename Key>
void Summarize(UsageReport& report, Key key) {
  std::map<std::string, UsageRow, std::less<>> groups;
  std::map<std::string, std::string, std::less<>> latest_day;
  for (const UsageRow& row : report.days) {
    const std::string k = key(row);
    UsageRow& g = groups[k];
    Accumulate(g, row);
    if (row.day >= latest_day[k]) {
      latest_day[k] = row.day;
      g.stored_bytes = row.stored_bytes;
    }
    Accumulate(report.totals, row);
  }
  for (auto& [k, g] : groups) {
    if (report.org_id.empty()) {
      g.org_id = k;
      g.user_id = report.user_id;
    } else {
      g.org_id = report.org_id;
      g.user_id = k;
    }
    report.totals.stored_bytes += g.stored_bytes;
    report.members.push_back(std::move(g));
  }
  report.totals.org_id = report.org_id;
  report.totals.user_id = report.user_id;
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace

Usage::Usage(std::shared_ptr<Platform> platform, UsageOptions options)
    : platform_(std::move(platform)), options_(options) {}

namespace {

Result<std::pair<std::string, std::string>> Resolve(const UsageRange& range, int64_t now_ms,
                                                    int max_days) {
  Days to = std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now_ms)));
  if (!range.to.empty()) {
    CY_TRY(to, ParseDay(range.to, "to"));
  }
  Days from = to - std::chrono::days(29);
  if (!range.from.empty()) {
    CY_TRY(from, ParseDay(range.from, "from"));
  }
  if (from > to) {
    return Fail(Error::Code::kInvalidArgument,
                "usage: 'from' (" + Format(from) + ") is after 'to' (" + Format(to) + ")");
  }
  if ((to - from).count() + 1 > max_days) {
    return Fail(Error::Code::kInvalidArgument, "usage: the range from 'from' to 'to' spans " +
                                                   std::to_string((to - from).count() + 1) +
                                                   " days; at most " + std::to_string(max_days) +
                                                   " may be asked at once");
  }
  return std::pair{Format(from), Format(to)};
}

}  // namespace

Result<UsageReport> Usage::ForOrg(std::string_view caller_id, std::string_view org_id,
                                  const UsageRange& range) {
  CY_TRY(const auto dates, Resolve(range, platform_->clock().NowMillis(), options_.max_days));
  UsageReport report;
  report.org_id = std::string(org_id);
  report.from = dates.first;
  report.to = dates.second;
  CY_TRY(auto rows,
         store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<std::vector<store::usage::Row>> {
                           const Error not_found(Error::Code::kNotFound,
                                                 "organization not found: " + std::string(org_id));
                           // An id or a slug, as on every /orgs route.
                           auto org = orgs::Find(tx, org_id);
                           if (!org) {
                             if (org.error().code() == Error::Code::kNotFound) {
                               return Fail(not_found);
                             }
                             return Fail(org.error());
                           }
                           report.org_id = org->id;
                           CY_TRY(const bool may, usage::MayReadOrg(tx, caller_id, org->id));
                           if (!may) return Fail(not_found);
                           return store::usage::ForOrg(tx, org->id, dates.first, dates.second);
                         }));
  for (auto& r : rows) report.days.push_back(FromStore(std::move(r)));
  Summarize(report, [](const UsageRow& row) { return row.user_id; });
  return report;
}

Result<UsageReport> Usage::ForUser(std::string_view user_id, const UsageRange& range) {
  CY_TRY(const auto dates, Resolve(range, platform_->clock().NowMillis(), options_.max_days));
  UsageReport report;
  report.user_id = std::string(user_id);
  report.from = dates.first;
  report.to = dates.second;
  CY_TRY(auto rows, store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::usage::ForUser(tx, user_id, dates.first, dates.second);
         }));
  for (auto& r : rows) report.days.push_back(FromStore(std::move(r)));
  Summarize(report, [](const UsageRow& row) { return row.org_id; });
  return report;
}

Result<std::vector<UsageRow>> Usage::OrgTotals() {
  CY_TRY(auto rows, store::Transact(platform_->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::usage::TotalsByOrg(tx);
         }));
  std::vector<UsageRow> out;
  out.reserve(rows.size());
  UsageRow personal;
  personal.org_id = std::string(kPersonalOrgs);
  bool any_personal = false;
  for (auto& r : rows) {
    const bool is_personal = r.personal;
    UsageRow row = FromStore(std::move(r));
    if (is_personal) {
      any_personal = true;
      Accumulate(personal, row);
      personal.stored_bytes += row.stored_bytes;
    } else {
      out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end(), [](const UsageRow& a, const UsageRow& b) {
    return a.cpu_ms != b.cpu_ms ? a.cpu_ms > b.cpu_ms : a.org_id < b.org_id;
  });
  if (out.size() > options_.metrics_max_orgs) {
    UsageRow other;
    other.org_id = std::string(kOtherOrgs);
    for (std::size_t i = options_.metrics_max_orgs; i < out.size(); ++i) {
      Accumulate(other, out[i]);
      other.stored_bytes += out[i].stored_bytes;
    }
    out.resize(options_.metrics_max_orgs);
    out.push_back(std::move(other));
  }
  if (any_personal) out.push_back(std::move(personal));
  return out;
}

UsageOptions UsageOptionsFrom(const Config& config) {
  UsageOptions o;
  o.max_days = static_cast<int>(config.usage_max_days);
  o.metrics_max_orgs = static_cast<std::size_t>(config.usage_metrics_max_orgs);
  return o;
}

std::string UsageCsv(const UsageReport& report) {
  std::string out =
      "day,org_id,user_id,cpu_seconds,wall_seconds,peak_memory_bytes,jobs,runs,stored_bytes\r\n";
  for (const UsageRow& r : report.days) {
    AppendCsvField(out, r.day);
    out += ',';
    AppendCsvField(out, r.org_id);
    out += ',';
    AppendCsvField(out, r.user_id);
    out += ',' + Seconds(r.cpu_ms) + ',' + Seconds(r.wall_ms) + ',' +
           std::to_string(r.peak_memory_bytes) + ',' + std::to_string(r.jobs) + ',' +
           std::to_string(r.runs) + ',' + std::to_string(r.stored_bytes) + "\r\n";
  }
  return out;
}

}  // namespace codeyard
