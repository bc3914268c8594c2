// `codeyard-bench usage [--storage sqlite|postgres://...] [--users N] [--days N]
// [--iterations N]`: usage reports (codeyard/usage.hpp) over a table of N users' daily rows for
// D days (default a year for 10,000 users: 3.65 million rows) in one organization, each
// against the bare SELECT of the same rows through the same storage in the same run, so the
// ratio is what the service adds (dates, the access check, sums per member). Also the cost of
// recording one run's usage (the upsert of the day's row and the organization's totals)
// against an empty write transaction.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/usage.hpp"
#include "commands.hpp"
#include "core/store/audit.hpp"
#include "core/store/orgs.hpp"
#include "core/store/transact.hpp"
#include "core/store/usage.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "core/usage/record.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

namespace fs = std::filesystem;

struct UsageBenchOptions {
  std::string storage = "sqlite";
  int users = 10000;
  int days = 365;
  int iterations = 20;
};

void Admin(const std::string& server, const std::string& sql) {
  auto admin = Must(BackendRegistry::WithBuiltins().OpenStorage(server, {}), "admin connection");
  auto tx = Must(admin->Begin(TxKind::kWrite), "admin begin");
  Must(tx->Exec(sql, {}), "admin statement");
  Must(tx->Commit(), "admin commit");
}

// A throwaway database: a temp SQLite file, or a fresh schema on a PostgreSQL server; removed
// by the destructor.
class Target {
 public:
  explicit Target(const std::string& uri) {
    if (uri.empty() || uri == "sqlite") {
      std::string dir = (fs::temp_directory_path() / "codeyard-bench-usage-XXXXXX").string();
      if (mkdtemp(dir.data()) == nullptr) throw BenchFailed(kExitFailed, "cannot make a temp dir");
      // No read cache: a repeated report would be answered from memory, not read.
      uri_ = "sqlite://" + dir + "/codeyard.db?read_cache_bytes=0";
      cleanup_ = [dir] {
        std::error_code ec;
        fs::remove_all(dir, ec);
      };
    } else if (uri.starts_with("postgres://") || uri.starts_with("postgresql://")) {
      const std::string schema = "bench_" + NewUuid().substr(0, 8);
      Admin(uri, "CREATE SCHEMA " + schema);
      const char sep = uri.find('?') == std::string::npos ? '?' : '&';
      uri_ = uri + sep + "options=-csearch_path%3D" + schema;
      cleanup_ = [uri, schema] { Admin(uri, "DROP SCHEMA " + schema + " CASCADE"); };
    } else {
      throw BenchFailed(kExitBadInput, "usage: --storage is sqlite or postgres://...");
    }
  }
  ~Target() {
    try {
      if (cleanup_) cleanup_();
    } catch (...) {
    }
  }
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;
  [[nodiscard]] const std::string& uri() const { return uri_; }

 private:
  std::string uri_;
  std::function<void()> cleanup_;
};

std::string AddUser(Storage& s, const std::string& name) {
  User u;
  u.id = NewUuid();
  u.username = name;
  u.password_hash = "bench";
  Must(store::Transact(s, TxKind::kWrite,
                       [&](Transaction& tx) { return store::users::Insert(tx, u); }),
       "add user");
  return u.id;
}

std::string Day(int i) {
  // Days from 2025-01-01.
  const std::chrono::sys_days d =
      std::chrono::sys_days(std::chrono::year(2025) / 1 / 1) + std::chrono::days(i);
  return usage::DayOf(
      std::chrono::duration_cast<std::chrono::milliseconds>(d.time_since_epoch()).count());
}

// users x days rows of organization `org` (user ids "m<n>"; `owner` is member 0), many rows
// per statement, many statements per transaction.
void Fill(Storage& s, const std::string& org, const std::string& owner, int users, int days) {
  constexpr int kRowsPerStatement = 500;
  constexpr int kStatementsPerTx = 100;
  std::vector<std::string> members(static_cast<std::size_t>(users));
  members[0] = owner;
  for (int u = 1; u < users; ++u) members[static_cast<std::size_t>(u)] = "m" + std::to_string(u);
  const int64_t total = static_cast<int64_t>(users) * days;
  int64_t done = 0;
  const auto started = std::chrono::steady_clock::now();
  while (done < total) {
    Must(store::Transact(s, TxKind::kWrite,
                         [&](Transaction& tx) -> Result<void> {
                           for (int st = 0; st < kStatementsPerTx && done < total; ++st) {
                             std::string sql =
                                 "INSERT INTO usage_daily (day, org_id, user_id, cpu_ms, wall_ms, "
                                 "peak_memory_bytes, jobs, runs, stored_bytes) VALUES ";
                             std::vector<Value> params;
                             const int64_t n = std::min<int64_t>(kRowsPerStatement, total - done);
                             for (int64_t k = 0; k < n; ++k) {
                               const int64_t row = done + k;
                               const int day = static_cast<int>(row / users);
                               const int user = static_cast<int>(row % users);
                               sql += k == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                             : ", (?, ?, ?, ?, ?, ?, ?, ?, ?)";
                               params.emplace_back(Day(day));
                               params.emplace_back(org);
                               params.emplace_back(members[static_cast<std::size_t>(user)]);
                               params.emplace_back(int64_t{1000 + row % 977});
                               params.emplace_back(int64_t{2000 + row % 1901});
                               params.emplace_back(int64_t{1} << 20);
                               params.emplace_back(int64_t{row % 3});
                               params.emplace_back(int64_t{row % 5});
                               params.emplace_back(int64_t{4096});
                             }
                             CY_CHECK(tx.Exec(sql, params));
                             done += n;
                           }
                           return {};
                         }),
         "fill usage rows");
  }
  const double s_taken =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("filled %lld rows (%d users x %d days) in %.1f s\n", static_cast<long long>(total),
              users, days, s_taken);
}

// The bare read of the rows a report reads: the same SELECT, through the same storage.
int64_t BareSelect(Storage& s, const std::string& where, std::vector<Value> params) {
  return Must(store::Transact(s, TxKind::kRead,
                              [&](Transaction& tx) -> Result<int64_t> {
                                CY_TRY(const Rows rows,
                                       tx.Query("SELECT day, org_id, user_id, cpu_ms, wall_ms, "
                                                "peak_memory_bytes, jobs, runs, stored_bytes FROM "
                                                "usage_daily WHERE " +
                                                    where,
                                                params));
                                return static_cast<int64_t>(rows.size());
                              }),
              "bare select");
}

void RunUsageBench(const UsageBenchOptions& o) {
  if (o.users < 1 || o.days < 1 || o.iterations < 1) {
    throw BenchFailed(kExitBadInput, "usage: --users, --days and --iterations must be positive");
  }
  Target target(o.storage);
  Options options;
  options.storage_uri = target.uri();
  std::shared_ptr<Platform> platform(Must(Platform::Open(options), "open platform"));
  Storage& s = platform->storage();
  const std::string owner = AddUser(s, "owner");
  const std::string org = owner;  // the owner's personal organization: its id is the user's
  Fill(s, org, owner, o.users, o.days);
  if (target.uri().starts_with("postgres")) {
    Must(store::Transact(s, TxKind::kWrite,
                         [](Transaction& tx) -> Result<void> {
                           CY_CHECK(tx.Exec("ANALYZE usage_daily", {}));
                           return {};
                         }),
         "analyze");
  }
  UsageOptions uo;
  uo.max_days = 3660;
  Usage usage(platform, uo);
  const std::string first = Day(0);
  const std::string last = Day(o.days - 1);
  const std::string month_end = Day(std::min(o.days, 30) - 1);
  const std::string member = o.users > 1 ? "m1" : owner;
  const int month_iterations = std::max(1, o.iterations / 5);

  MachineLoad load;
  load.before = MachineLoad::Now();
  Samples user_year, user_year_bare, org_day, org_day_bare, org_month, org_month_bare;
  for (int i = 0; i < o.iterations; ++i) {
    const auto r = Timed(user_year, [&] {
      return Must(usage.ForUser(member, {first, last}), "user's year");
    });
    const int64_t n = Timed(user_year_bare, [&] {
      return BareSelect(s, "user_id = ? AND day >= ? AND day <= ? ORDER BY day, org_id",
                        {Value{member}, Value{first}, Value{last}});
    });
    if (static_cast<int64_t>(r.days.size()) != n || n != o.days) {
      throw BenchFailed(kExitFailed, "usage: a user's year read " + std::to_string(n) + " rows");
    }
    const auto d = Timed(org_day, [&] {
      return Must(usage.ForOrg(owner, org, {last, last}), "org's day");
    });
    const int64_t m = Timed(org_day_bare, [&] {
      return BareSelect(s, "org_id = ? AND day >= ? AND day <= ? ORDER BY day, user_id",
                        {Value{org}, Value{last}, Value{last}});
    });
    if (static_cast<int64_t>(d.days.size()) != m || m != o.users) {
      throw BenchFailed(kExitFailed, "usage: an org's day read " + std::to_string(m) + " rows");
    }
  }
  for (int i = 0; i < month_iterations; ++i) {
    (void)Timed(org_month, [&] {
      return Must(usage.ForOrg(owner, org, {first, month_end}), "org's month").days.size();
    });
    (void)Timed(org_month_bare, [&] {
      return BareSelect(s, "org_id = ? AND day >= ? AND day <= ? ORDER BY day, user_id",
                        {Value{org}, Value{first}, Value{month_end}});
    });
  }
  // Recording one run's usage against an empty write transaction.
  Samples record, empty_tx;
  ExitStatus status;
  status.cpu_ms = 120;
  status.wall_ms = 150;
  status.memory_kb = 10240;
  for (int i = 0; i < o.iterations * 10; ++i) {
    Timed(record, [&] {
      Must(store::Transact(s, TxKind::kWrite,
                           [&](Transaction& tx) {
                             return usage::RecordRun(tx, 1767225600000, org, member, status);
                           }),
           "record");
      return 0;
    });
    Timed(empty_tx, [&] {
      Must(store::Transact(s, TxKind::kWrite, [](Transaction&) -> Result<void> { return {}; }),
           "empty transaction");
      return 0;
    });
  }
  load.after = MachineLoad::Now();

  std::printf("storage %s; %d users x %d days; one org's day is %d rows, its month %d\n",
              target.uri().starts_with("postgres") ? "postgres" : "sqlite", o.users, o.days,
              o.users, o.users * std::min(o.days, 30));
  PrintTableHead("usage", o.iterations, load);
  const Summary uy = user_year.Summarize(), uyb = user_year_bare.Summarize();
  const Summary od = org_day.Summarize(), odb = org_day_bare.Summarize();
  const Summary om = org_month.Summarize(), omb = org_month_bare.Summarize();
  const Summary rec = record.Summarize(), emp = empty_tx.Summarize();
  PrintTableRow("bare SELECT: a user's year", uyb, nullptr);
  PrintTableRow("Usage::ForUser: a user's year", uy, &uyb);
  PrintTableRow("bare SELECT: an org's day", odb, nullptr);
  PrintTableRow("Usage::ForOrg: an org's day", od, &odb);
  PrintTableRow("bare SELECT: an org's month", omb, nullptr);
  PrintTableRow("Usage::ForOrg: an org's month", om, &omb);
  PrintTableRow("empty write transaction", emp, nullptr, 3);
  PrintTableRow("record one run's usage", rec, &emp, 3);
}

struct QuotaBenchOptions {
  std::string storage = "sqlite";
  int iterations = 200;
};

// org20: an organization `slug` with `owner` as its owner, its quotas `quotas` (both sets), and
// a workspace of the owner in it; returns the workspace's id.
std::string OrgWorkspace(Storage& s, const std::string& owner, const std::string& slug,
                         const OrgQuotas& quotas) {
  Org org;
  org.id = NewUuid();
  org.name = slug;
  org.slug = slug;
  org.org_quotas = quotas;
  org.member_quotas = quotas;
  Workspace w;
  w.id = NewUuid();
  w.owner_id = owner;
  w.name = slug;
  w.org_id = org.id;
  Must(store::Transact(
           s, TxKind::kWrite,
           [&](Transaction& tx) -> Result<void> {
             CY_CHECK(store::orgs::Insert(tx, org));
             CY_CHECK(store::orgs::AddMember(tx, OrgMember{org.id, owner, OrgRole::kOwner, 0}));
             return store::workspaces::Insert(tx, w);
           }),
       "org workspace");
  return w.id;
}

// Audit log insert cost: one entry appended through store::audit::Append in its own write
// transaction, against the same empty write transaction. org20: the quota check overhead per
// action: the same file write (Files::Write of a new 100-byte file, which grows the stored
// bytes, so the stored-bytes quota is checked: the organization's row read, its lock, two
// sums) in a workspace of an organization without limits and of one with both limits set.
void RunQuotaBench(const QuotaBenchOptions& o) {
  if (o.iterations < 1) throw BenchFailed(kExitBadInput, "quota: --iterations must be positive");
  Target target(o.storage);
  Options options;
  options.storage_uri = target.uri();
  std::shared_ptr<Platform> platform(Must(Platform::Open(options), "open platform"));
  Storage& s = platform->storage();
  const std::string actor = AddUser(s, "admin");
  MachineLoad load;
  load.before = MachineLoad::Now();
  Samples empty_tx, audit, write_free, write_limited;
  OrgQuotas limits;
  limits.max_stored_bytes = int64_t{1} << 40;
  const std::string free_ws = OrgWorkspace(s, actor, "free", {});
  const std::string limited_ws = OrgWorkspace(s, actor, "limited", limits);
  Files files(platform);
  const std::string content(100, 'x');
  for (int i = 0; i < o.iterations; ++i) {
    const std::string path = "f" + std::to_string(i) + ".txt";
    Timed(write_free, [&] { return Must(files.Write(actor, free_ws, path, content), "write"); });
    Timed(write_limited,
          [&] { return Must(files.Write(actor, limited_ws, path, content), "write"); });
    Timed(empty_tx, [&] {
      Must(store::Transact(s, TxKind::kWrite, [](Transaction&) -> Result<void> { return {}; }),
           "empty transaction");
      return 0;
    });
    AuditEntry e;
    e.ts = 1767225600000 + i;
    e.actor_id = actor;
    e.action = "user.disable";
    e.target = "user:" + std::to_string(i);
    e.detail = R"({"reason":"bench"})";
    e.request_id = "bench-" + std::to_string(i);
    Timed(audit, [&] {
      return Must(store::Transact(s, TxKind::kWrite,
                                  [&](Transaction& tx) { return store::audit::Append(tx, e); }),
                  "audit append");
    });
  }
  load.after = MachineLoad::Now();
  std::printf("storage %s\n", target.uri().starts_with("postgres") ? "postgres" : "sqlite");
  PrintTableHead("quota", o.iterations, load);
  const Summary emp = empty_tx.Summarize(), aud = audit.Summarize();
  PrintTableRow("empty write transaction", emp, nullptr, 3);
  PrintTableRow("audit log: append one entry", aud, &emp, 3);
  const Summary wf = write_free.Summarize(), wl = write_limited.Summarize();
  PrintTableRow("write a file, no quota set", wf, nullptr, 3);
  PrintTableRow("write a file, stored-bytes quotas set", wl, &wf, 3);
}

}  // namespace

void AddQuotaCommand(CLI::App& app) {
  auto options = std::make_shared<QuotaBenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "quota",
      "quota check overhead per action and audit log insert cost, each against a baseline");
  cmd->add_option("--storage", options->storage,
                  "sqlite (a temp file) or postgres://... (a schema)");
  cmd->add_option("--iterations", options->iterations, "actions measured per kind (200)");
  cmd->callback([options] { RunQuotaBench(*options); });
}

void AddUsageCommand(CLI::App& app) {
  auto options = std::make_shared<UsageBenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "usage", "usage reports over a year of daily rows against the bare SELECT of the same rows");
  cmd->add_option("--storage", options->storage,
                  "sqlite (a temp file) or postgres://... (a schema)");
  cmd->add_option("--users", options->users, "members of the organization (10000)");
  cmd->add_option("--days", options->days, "days of rows per member (365)");
  cmd->add_option("--iterations", options->iterations, "reports of each kind measured (20)");
  cmd->callback([options] { RunUsageBench(*options); });
}

}  // namespace codeyard::bench
