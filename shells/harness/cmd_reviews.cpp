// `codeyard-bench reviews [--storage URI] [--files N] [--size BYTES] [--reviews N]`: what code
// review costs in storage, each against a baseline measured in the same run.
//   submit: Reviews::Create of an N-file workspace (the snapshot) against writing the same
//           files once through Files (one transaction per file, as the API and sync do);
//           also the rows and blob bytes each adds.
//   queue:  the first and a middle page (50) of a reviewer's queue over --reviews pending
//           reviews, against Reviews::Get of one review (the cheapest authorized read).
// Prints p50/p95 and ratios.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "bench_util.hpp"
#include "codeyard/backend/registry.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/reviews.hpp"
#include "commands.hpp"
#include "core/store/blobs.hpp"
#include "core/store/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "stats.hpp"

namespace codeyard::bench {
namespace {

namespace fs = std::filesystem;

double Ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

void Admin(const std::string& server, const std::string& sql) {
  auto admin = Must(BackendRegistry::WithBuiltins().OpenStorage(server, {}), "admin connection");
  auto tx = Must(admin->Begin(TxKind::kWrite), "admin begin");
  Must(tx->Exec(sql, {}), "admin statement");
  Must(tx->Commit(), "admin commit");
}

// A throwaway database: a temp SQLite file, or a fresh schema on a PostgreSQL server.
struct Target {
  std::string uri;
  std::function<void()> cleanup;
};

Target MakeTarget(const std::string& uri) {
  if (uri.empty() || uri == "sqlite") {
    std::string dir = (fs::temp_directory_path() / "codeyard-bench-reviews-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) throw BenchFailed(kExitFailed, "cannot make a temp dir");
    return {"sqlite://" + dir + "/codeyard.db", [dir] {
              std::error_code ec;
              fs::remove_all(dir, ec);
            }};
  }
  if (uri.starts_with("postgres://") || uri.starts_with("postgresql://")) {
    const std::string schema = "bench_" + NewUuid().substr(0, 8);
    Admin(uri, "CREATE SCHEMA " + schema);
    const char sep = uri.find('?') == std::string::npos ? '?' : '&';
    return {uri + sep + "options=-csearch_path%3D" + schema,
            [uri, schema] { Admin(uri, "DROP SCHEMA " + schema + " CASCADE"); }};
  }
  throw BenchFailed(kExitBadInput, "reviews: --storage is sqlite or postgres://...");
}

std::string AddUser(Storage& s, const std::string& name, int level) {
  User u;
  u.id = NewUuid();
  u.username = name;
  u.password_hash = "bench";
  u.reviewer_level = level;
  Must(store::Transact(s, TxKind::kWrite,
                       [&](Transaction& tx) { return store::users::Insert(tx, u); }),
       "add user");
  return u.id;
}

std::string AddWorkspace(Storage& s, const std::string& owner, const std::string& name) {
  Workspace w;
  w.id = NewUuid();
  w.owner_id = owner;
  w.name = name;
  Must(store::Transact(s, TxKind::kWrite,
                       [&](Transaction& tx) { return store::workspaces::Insert(tx, w); }),
       "add workspace");
  return w.id;
}

struct Counts {
  int64_t blobs = 0;
  int64_t blob_bytes = 0;
  int64_t review_rows = 0;
};

Counts Count(Storage& s) {
  return Must(store::Transact(s, TxKind::kRead,
                              [&](Transaction& tx) -> Result<Counts> {
                                Counts c;
                                CY_TRY(const auto totals, store::blobs::Count(tx));
                                c.blobs = totals.count;
                                c.blob_bytes = totals.bytes;
                                CY_TRY(const Rows rows,
                                       tx.Query("SELECT COUNT(*) FROM review_files", {}));
                                CY_TRY(c.review_rows, rows.front().Int(0));
                                return c;
                              }),
              "count");
}

void RunReviewsBench(const std::string& storage_uri, int files, int size, int reviews,
                     int iterations) {
  Target target = MakeTarget(storage_uri);
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() {
      if (f) f();
    }
  } cleanup{target.cleanup};
  Options options;
  options.storage_uri = target.uri;
  std::shared_ptr<Platform> platform(Must(Platform::Open(options), "open platform"));
  Storage& s = platform->storage();
  Files file_api(platform);
  Reviews review_api(platform);
  const std::string author = AddUser(s, "author", 0);
  const std::string reviewer = AddUser(s, "reviewer", 4);

  // submit: per iteration a new workspace with new content (no dedup across iterations).
  Samples write_once;
  Samples submit;
  Counts before_write;
  Counts after_write;
  Counts after_submit;
  std::mt19937_64 rng(15);
  for (int it = 0; it < iterations; ++it) {
    const std::string ws = AddWorkspace(s, author, "ws" + std::to_string(it));
    std::vector<std::string> contents(static_cast<std::size_t>(files));
    for (auto& c : contents) {
      c.resize(static_cast<std::size_t>(size));
      for (auto& ch : c) ch = static_cast<char>('a' + rng() % 26);
    }
    before_write = Count(s);
    Timed(write_once, [&] {
      for (int f = 0; f < files; ++f) {
        Must(file_api.Write(author, ws,
                            "src/d" + std::to_string(f % 20) + "/f" + std::to_string(f) + ".txt",
                            contents[static_cast<std::size_t>(f)]),
             "write file");
      }
      return 0;
    });
    after_write = Count(s);
    Timed(submit, [&] {
      return Must(review_api.Create(author, {ws, "bench", "", ReviewPriority::kNormal, 1}),
                  "submit");
    });
    after_submit = Count(s);
  }
  const Summary w = write_once.Summarize();
  const Summary sub = submit.Summarize();

  // queue: `reviews` pending reviews of every priority and level, inserted directly (a
  // snapshot each would only slow the setup down; the queue reads review_requests only).
  const std::string qws = AddWorkspace(s, author, "queue");
  const int64_t t0 = platform->clock().NowMillis();
  for (int done = 0; done < reviews;) {
    Must(store::Transact(s, TxKind::kWrite,
                         [&](Transaction& tx) -> Result<void> {
                           for (int k = 0; k < 500 && done + k < reviews; ++k) {
                             Review r;
                             r.id = NewUuid();
                             r.author_id = author;
                             r.workspace_id = qws;
                             r.title = "r";
                             r.priority = static_cast<ReviewPriority>(rng() % 4);
                             r.required_level = static_cast<int>(rng() % 5);
                             r.created_at = r.updated_at = t0 + done + k;
                             CY_CHECK(store::reviews::Insert(tx, r));
                           }
                           return {};
                         }),
         "insert reviews");
    done += 500;
  }
  // A live database has statistics (autovacuum analyzes a table that grew by 10%); without
  // them PostgreSQL sorts the whole pending set for the first page instead of reading the
  // queue index in order.
  if (target.uri.starts_with("postgres")) {
    Must(store::Transact(s, TxKind::kWrite,
                         [](Transaction& tx) -> Result<void> {
                           CY_CHECK(tx.Exec("ANALYZE review_requests", {}));
                           return {};
                         }),
         "analyze");
  }
  const std::string some_review =
      Must(review_api.List(reviewer, {ReviewRole::kQueue, {1, ""}, {}, {}}), "list").items[0].id;
  std::string middle_cursor;
  {
    ReviewListRequest walk{ReviewRole::kQueue, {200, ""}, {}, {}};
    for (int pages = 0; pages < reviews / 400; ++pages) {
      auto page = Must(review_api.List(reviewer, walk), "walk");
      if (!page.next_cursor) break;
      walk.page.cursor = *page.next_cursor;
    }
    middle_cursor = walk.page.cursor;
  }
  Samples get_one;
  Samples first_page;
  Samples middle_page;
  constexpr int kQueries = 200;
  for (int q = 0; q < kQueries; ++q) {
    Timed(get_one, [&] { return Must(review_api.Get(reviewer, some_review), "get"); });
    Timed(first_page, [&] {
      return Must(review_api.List(reviewer, {ReviewRole::kQueue, {50, ""}, {}, {}}), "queue");
    });
    Timed(middle_page, [&] {
      return Must(review_api.List(reviewer, {ReviewRole::kQueue, {50, middle_cursor}, {}, {}}),
                  "queue middle");
    });
  }
  const Summary g = get_one.Summarize();
  const Summary fp = first_page.Summarize();
  const Summary mp = middle_page.Summarize();

  std::printf("codeyard-bench reviews: %s, %d files of %d bytes, %d iterations; %d reviews\n",
              RedactUri(target.uri).c_str(), files, size, iterations, reviews);
  std::printf("%-46s %10s %10s %8s\n", "latency (ms)", "p50", "p95", "ratio");
  std::printf("%-46s %10.2f %10.2f\n", "write the files once (baseline)", Ms(w.p50_ns),
              Ms(w.p95_ns));
  std::printf("%-46s %10.2f %10.2f %7.3fx\n", "submit for review (snapshot)", Ms(sub.p50_ns),
              Ms(sub.p95_ns), Ratio(sub.p50_ns, w.p50_ns));
  std::printf("%-46s %10.3f %10.3f\n", "get one review (baseline)", Ms(g.p50_ns), Ms(g.p95_ns));
  std::printf("%-46s %10.3f %10.3f %7.3fx\n", "queue, first page of 50", Ms(fp.p50_ns),
              Ms(fp.p95_ns), Ratio(fp.p50_ns, g.p50_ns));
  std::printf("%-46s %10.3f %10.3f %7.3fx\n", "queue, a middle page of 50", Ms(mp.p50_ns),
              Ms(mp.p95_ns), Ratio(mp.p50_ns, g.p50_ns));
  std::printf("stored by the last write of the files: %lld blobs, %lld bytes\n",
              static_cast<long long>(after_write.blobs - before_write.blobs),
              static_cast<long long>(after_write.blob_bytes - before_write.blob_bytes));
  std::printf("stored by its submission: %lld blobs, %lld bytes, %lld manifest rows\n",
              static_cast<long long>(after_submit.blobs - after_write.blobs),
              static_cast<long long>(after_submit.blob_bytes - after_write.blob_bytes),
              static_cast<long long>(after_submit.review_rows - after_write.review_rows));
}

}  // namespace

void AddReviewsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "reviews", "time submitting a workspace for review and the review queue, with baselines");
  auto storage = std::make_shared<std::string>("sqlite");
  auto files = std::make_shared<int>(1000);
  auto size = std::make_shared<int>(1024);
  auto reviews = std::make_shared<int>(10000);
  auto iterations = std::make_shared<int>(5);
  cmd->add_option("--storage", *storage, "sqlite (a temp file) or postgres://... (a schema)")
      ->capture_default_str();
  cmd->add_option("--files", *files, "files in the submitted workspace")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--size", *size, "bytes per file")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--reviews", *reviews, "pending reviews in the queue")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--iterations", *iterations, "submissions measured")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->callback([=] { RunReviewsBench(*storage, *files, *size, *reviews, *iterations); });
}

}  // namespace codeyard::bench
