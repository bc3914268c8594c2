// Runs the storage benchmark for one URI: sets up where the two sides live (a temp dir for
// SQLite, a throwaway schema for PostgreSQL), opens Codeyard's storage and the baseline,
// and runs the four phases with both sides interleaved.
#include "bench_storage.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <utility>

#include "codeyard/backend/schema.hpp"
#include "codeyard/clock.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard_subject.hpp"
#include "cpu_pin.hpp"

namespace codeyard::bench {
namespace {

namespace fs = std::filesystem;

// Ops per block before the other side takes its turn: small enough that drift (another
// process, CPU frequency, a WAL checkpoint) lands on both, large enough to keep caches warm.
constexpr int kBlock = 100;
constexpr int kListRepeats = 20;

// Where one run's data lives, and how it is removed afterwards (in the destructor).
struct Target {
  Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;
  ~Target() {
    if (cleanup) cleanup();
  }

  std::string codeyard_uri;
  bool postgres = false;
  // The whole database goes away afterwards, so the bench's rows need no deleting. Deleting
  // them is slow: each item's ON DELETE CASCADE looks for children by parent_id, which no
  // index leads with, so it scans the table (quadratic in the item count).
  bool throwaway = false;
  std::string baseline_location;  // a SQLite file path, or a libpq URI
  std::function<void()> cleanup;
};

// Runs one statement outside any bench schema (CREATE/DROP SCHEMA), as the test fixture does.
Result<void> Admin(const std::string& server_uri, const std::string& sql) {
  Options options;
  options.storage_uri = server_uri;
  auto admin = OpenStorage(options);
  if (!admin) return Fail(admin.error());
  auto tx = (*admin)->Begin(TxKind::kWrite);
  if (!tx) return Fail(tx.error());
  if (auto r = (*tx)->Exec(sql, {}); !r) return Fail(r.error().WithContext(sql));
  return (*tx)->Commit();
}

// Drops the query parameters only Codeyard understands, so libpq accepts the URI.
std::string StripCodeyardParams(const std::string& uri) {
  const auto q = uri.find('?');
  if (q == std::string::npos) return uri;
  std::string out = uri.substr(0, q);
  std::string_view rest = std::string_view(uri).substr(q + 1);
  char sep = '?';
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.starts_with("pool_size=") || pair.starts_with("pool_timeout_ms=")) continue;
    out += sep;
    out += pair;
    sep = '&';
  }
  return out;
}

Result<std::unique_ptr<Target>> MakeTarget(const std::string& uri) {
  auto target = std::make_unique<Target>();
  if (uri.empty() || uri == "sqlite") {
    std::string dir = (fs::temp_directory_path() / "codeyard-bench-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      return Fail(Error::Code::kUnavailable,
                  "cannot create a temp dir under " + fs::temp_directory_path().string());
    }
    target->codeyard_uri = "sqlite://" + dir + "/codeyard.db";
    target->throwaway = true;
    target->baseline_location = dir + "/baseline.db";
    target->cleanup = [dir] {
      std::error_code ec;
      fs::remove_all(dir, ec);
    };
  } else if (uri.starts_with("sqlite:")) {
    // The caller's database: the bench's rows are deleted afterwards, the baseline file
    // sits beside it and is removed.
    std::string path = uri.substr(std::string_view("sqlite:").size());
    path = path.substr(0, path.find('?'));
    if (path.starts_with("//")) path = path.substr(2);
    target->codeyard_uri = uri;
    target->baseline_location = path == ":memory:" ? path : path + ".baseline";
    target->throwaway = path == ":memory:";
    if (path != ":memory:") {
      target->cleanup = [file = target->baseline_location] {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file + suffix, ec);
      };
      target->cleanup();  // what a crashed run may have left
    }
  } else if (uri.starts_with("postgres://") || uri.starts_with("postgresql://")) {
    // A fresh schema, as tests/storage/backend_fixture.cpp makes one; dropped at the end.
    const std::string schema = "bench_" + NewUuid().substr(0, 8);
    if (auto r = Admin(uri, "CREATE SCHEMA " + schema); !r) {
      return Fail(r.error().WithContext("creating schema " + schema));
    }
    const char sep = uri.find('?') == std::string::npos ? '?' : '&';
    target->codeyard_uri = uri + sep + "options=-csearch_path%3D" + schema;
    target->postgres = true;
    target->throwaway = true;
    target->baseline_location = StripCodeyardParams(target->codeyard_uri);
    target->cleanup = [uri, schema] {
      if (auto r = Admin(uri, "DROP SCHEMA " + schema + " CASCADE"); !r) {
        (void)std::fprintf(stderr, "codeyard-bench: could not drop schema %s: %s\n", schema.c_str(),
                           r.error().ToString().c_str());
      }
    };
  } else {
    return Fail(Error::Code::kInvalidArgument,
                "storage: no baseline for \"" + RedactUri(uri) +
                    "\"; use sqlite (a temp file), sqlite:///path.db or postgres://...");
  }
  return target;
}

// Pins the bench to its CPU and, for a local PostgreSQL, both sides' backends with it (or
// neither, so the sides stay alike). Returns what was done, for the report.
std::string PinToOneCpu(Subject& codeyard, Subject& baseline) {
  auto cpu = PinSelf();
  if (!cpu) return "none (" + cpu.error().message() + ")";
  std::string self = "the bench on CPU " + std::to_string(*cpu);
  auto ours = codeyard.ServerProcess();
  auto raw = baseline.ServerProcess();
  if (!ours && ours.error().code() == Error::Code::kUnimplemented) return self;
  if (!ours || !raw) {
    return self + "; server backends not pinned (" + (!ours ? ours : raw).error().message() + ")";
  }
  if (auto r = PinServerProcess(static_cast<pid_t>(*ours), *cpu); !r) {
    return self + "; server backends not pinned (" + r.error().message() + ")";
  }
  if (auto r = PinServerProcess(static_cast<pid_t>(*raw), *cpu); !r) {
    UnpinProcess(static_cast<pid_t>(*ours));
    return self + "; server backends not pinned (" + r.error().message() + ")";
  }
  return self + ", with both server backends";
}

// Runs `op(subject, samples, i)` for i in [0, n) on both sides, in blocks of `block` that
// alternate which side goes first.
template <class Op>
Result<PhaseReport> Interleave(const std::string& label, std::string name, int n, int block,
                               Subject& codeyard, Subject& baseline, Op op) {
  (void)std::fprintf(stderr, "codeyard-bench: [%s] %s: %d ops on each side...", label.c_str(),
                     name.c_str(), n);
  const auto start = std::chrono::steady_clock::now();
  Samples ours;
  Samples raw;
  ours.Reserve(static_cast<std::size_t>(n));
  raw.Reserve(static_cast<std::size_t>(n));
  for (int first = 0, k = 0; first < n; first += block, ++k) {
    const int last = std::min(n, first + block);
    for (const bool codeyard_turn : {k % 2 == 0, k % 2 != 0}) {
      for (int i = first; i < last; ++i) {
        auto r = op(codeyard_turn ? codeyard : baseline, codeyard_turn ? ours : raw, i);
        if (!r) {
          (void)std::fprintf(stderr, " failed\n");
          return Fail(r.error().WithContext(name + " #" + std::to_string(i) + " (" +
                                            (codeyard_turn ? "codeyard" : "baseline") + ")"));
        }
      }
    }
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  (void)std::fprintf(stderr, " %.1f s\n", took.count());
  return PhaseReport{std::move(name), ours.Summarize(), raw.Summarize()};
}

Error Mismatch(const std::string& what) { return Error(Error::Code::kDataLoss, what); }

Result<void> RunPhases(const std::string& label, const Workload& w, Subject& codeyard,
                       Subject& baseline, RunReport& report) {
  const int n = w.items();
  Payload payload;
  Payload expected;
  auto insert = [&](Subject& s, Samples& samples, int i) -> Result<void> {
    payload.Fill(i, 1, w.size());
    return Timed(samples, [&] { return s.Insert(i, payload); });
  };
  auto get = [&](Subject& s, Samples& samples, int i) -> Result<void> {
    expected.Fill(i, 1, w.size());
    auto content = Timed(samples, [&] { return s.Get(i); });
    if (!content) return Fail(content.error());
    if (*content != expected.content) return Fail(Mismatch("read back other bytes"));
    return {};
  };
  auto list = [&](Subject& s, Samples& samples, int) -> Result<void> {
    auto count = Timed(samples, [&] { return s.List(); });
    if (!count) return Fail(count.error());
    if (*count != static_cast<std::size_t>(n)) return Fail(Mismatch("listed a wrong count"));
    return {};
  };
  auto update = [&](Subject& s, Samples& samples, int i) -> Result<void> {
    payload.Fill(i, 2, w.size());
    auto version = Timed(samples, [&] { return s.Update(i, payload, 1); });
    if (!version) return Fail(version.error());
    if (*version != 2) return Fail(Mismatch("update returned a wrong version"));
    return {};
  };
  auto add = [&](Result<PhaseReport> phase) -> Result<void> {
    if (!phase) return Fail(phase.error());
    report.phases.push_back(std::move(*phase));
    return {};
  };
  if (auto r = add(Interleave(label, "insert", n, kBlock, codeyard, baseline, insert)); !r) {
    return r;
  }
  if (auto r = add(Interleave(label, "get", n, kBlock, codeyard, baseline, get)); !r) return r;
  if (auto r = add(Interleave(label, "list", kListRepeats, 1, codeyard, baseline, list)); !r) {
    return r;
  }
  return add(Interleave(label, "update", n, kBlock, codeyard, baseline, update));
}

}  // namespace

Result<RunReport> RunStorageBench(const std::string& uri, const StorageBenchOptions& options) {
  auto target = MakeTarget(uri);
  if (!target) return Fail(target.error());
  Options platform_options;
  platform_options.storage_uri = (*target)->codeyard_uri;
  auto platform = Platform::Open(platform_options);
  if (!platform) return Fail(platform.error());
  const std::shared_ptr<Storage>& storage = (*platform)->shared_storage();

  RunReport report;
  const StorageInfo info = storage->Info();
  report.backend = info.backend;
  report.location = info.location;
  report.server_version = info.server_version;
  const Workload workload(options.items, options.size);
  auto codeyard = OpenCodeyardSubject(*storage, workload);
  if (!codeyard) return Fail(codeyard.error());
  auto baseline = (*target)->postgres ? OpenPostgresBaseline((*target)->baseline_location, workload)
                                      : OpenSqliteBaseline((*target)->baseline_location, workload);
  auto remove_data = [&]() -> Result<void> {
    codeyard->reset();
    if ((*target)->throwaway) return {};
    (void)std::fprintf(stderr, "codeyard-bench: [%s] deleting the bench's rows...",
                       report.backend.c_str());
    const auto start = std::chrono::steady_clock::now();
    auto removed = RemoveCodeyardData(*storage, workload);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    (void)std::fprintf(stderr, " %.1f s\n", took.count());
    return removed;
  };
  if (!baseline) {
    (void)remove_data();
    return Fail(baseline.error());
  }
  report.baseline = (*baseline)->Describe();
  report.pinning = options.pin ? PinToOneCpu(**codeyard, **baseline) : "none (--no-pin)";

  auto ran = RunPhases(report.backend, workload, **codeyard, **baseline, report);
  baseline->reset();
  if (auto r = remove_data(); !r && ran) ran = Fail(r.error());
  if (!ran) return Fail(ran.error());
  return report;
}

}  // namespace codeyard::bench
