// `codeyard-bench archive [--storage URI] [--files N] [--file-bytes N] [--rounds N] [--json]`:
// the zip of a whole workspace (Archives::Plan + Write, from storage, deflated, into a sink
// that counts and drops the bytes) against `tar -cf - . | gzip -6 > /dev/null` of the same
// tree written on the host (tmpfs), measured in the same run, alternating. Content is
// source-like text (words from a small vocabulary, so it compresses about as code does).
// Prints each side's median time and throughput (uncompressed MB/s) and the ratio.
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "codeyard/archive.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/workspaces.hpp"
#include "commands.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ArchiveBenchOptions {
  std::string storage_uri;
  int files = 400;
  int file_bytes = 128 << 10;
  int rounds = 5;
  bool json = false;
};

std::string FileName(int i) {
  return "src/pkg" + std::to_string(i % 20) + "/f" + std::to_string(i) + ".py";
}

std::string SourceLike(std::mt19937& rng, int bytes) {
  static const std::vector<std::string> kWords = {
      "def",    "return", "self",  "import", "for",  "in",   "if",   "else", "value",
      "result", "items",  "count", "print",  "(",    ")",    ":",    "=",    "+",
      "index",  "name",   "data",  "while",  "True", "None", "list", "dict", "append",
      "range",  "len",    "class", "total",  "x",    "y",    "0",    "1",    "path"};
  std::string out;
  out.reserve(static_cast<std::size_t>(bytes) + 16);
  std::uniform_int_distribution<std::size_t> pick(0, kWords.size() - 1);
  int column = 0;
  while (static_cast<int>(out.size()) < bytes) {
    const std::string& w = kWords[pick(rng)];
    out += w;
    column += static_cast<int>(w.size()) + 1;
    if (column > 72) {
      out += "\n    ";
      column = 4;
    } else {
      out += ' ';
    }
  }
  out.resize(static_cast<std::size_t>(bytes));
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Run(const ArchiveBenchOptions& options) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cy-bench-archive-" + NewUuid().substr(0, 8));
  std::filesystem::create_directories(dir);
  Options platform_options;
  platform_options.storage_uri =
      options.storage_uri.empty() ? "sqlite://" + (dir / "bench.db").string() : options.storage_uri;
  auto platform = Must(Platform::Open(platform_options), "open storage");
  User user;
  user.id = NewUuid();
  user.username = "bench-" + user.id.substr(0, 8);
  user.password_hash = "-";
  Workspace ws;
  ws.id = NewUuid();
  ws.owner_id = user.id;
  ws.name = "bench";
  Must(store::Transact(platform->storage(), TxKind::kWrite,
                       [&](Transaction& tx) -> Result<void> {
                         if (auto u = store::users::Insert(tx, user); !u) return u;
                         return store::workspaces::Insert(tx, ws);
                       }),
       "insert user and workspace");
  FileLimits limits;
  limits.max_workspace_bytes = int64_t{1} << 34;
  limits.max_user_bytes = int64_t{1} << 34;
  auto files = std::make_shared<Files>(platform, limits);
  Archives archives(platform, files);

  const auto host = std::filesystem::path(std::filesystem::exists("/dev/shm") ? "/dev/shm" : dir) /
                    ("cy-bench-archive-host-" + NewUuid().substr(0, 8));
  std::mt19937 rng(17);
  int64_t total = 0;
  for (int i = 0; i < options.files; ++i) {
    const std::string content = SourceLike(rng, options.file_bytes);
    Must(files->Write(user.id, ws.id, FileName(i), content), "write file");
    const auto path = host / FileName(i);
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    total += static_cast<int64_t>(content.size());
  }
  const std::string tar_gzip = "tar -cf - -C '" + host.string() + "' . | gzip -6 > /dev/null";

  std::vector<double> subject_s;
  std::vector<double> baseline_s;
  int64_t zip_bytes = 0;
  for (int round = 0; round < options.rounds; ++round) {
    auto t0 = Clock::now();
    const ArchivePlan plan = Must(archives.Plan(user.id, ws.id, ""), "plan");
    int64_t out = 0;
    Must(archives.Write(plan,
                        [&out](std::string_view bytes) {
                          out += static_cast<int64_t>(bytes.size());
                          return true;
                        }),
         "write zip");
    subject_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    zip_bytes = out;
    t0 = Clock::now();
    if (std::system(tar_gzip.c_str()) != 0) throw BenchFailed(kExitFailed, "tar | gzip failed");
    baseline_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::filesystem::remove_all(host);
  std::filesystem::remove_all(dir);

  const double s = Median(subject_s);
  const double b = Median(baseline_s);
  const double mb = static_cast<double>(total) / 1e6;
  if (options.json) {
    boost::json::object o{{"files", options.files},  {"total_bytes", total},
                          {"zip_bytes", zip_bytes},  {"archive_s", s},
                          {"tar_gzip_s", b},         {"archive_mb_s", mb / s},
                          {"tar_gzip_mb_s", mb / b}, {"ratio", s / b}};
    std::printf("%s\n", boost::json::serialize(o).c_str());
    return;
  }
  std::printf("codeyard-bench archive: %d files, %.1f MB (zip %.1f MB), median of %d rounds\n",
              options.files, mb, static_cast<double>(zip_bytes) / 1e6, options.rounds);
  std::printf("%-34s %9s %9s\n", "", "s", "MB/s");
  std::printf("%-34s %9.3f %9.1f\n", "Archives (storage -> zip, deflate)", s, mb / s);
  std::printf("%-34s %9.3f %9.1f\n", "tar | gzip -6 (tmpfs)", b, mb / b);
  std::printf("ratio (time, archive / tar|gzip): %.2fx\n", s / b);
}

}  // namespace

void AddArchiveCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "archive", "time a workspace zip (Archives) against tar | gzip of the same tree");
  auto options = std::make_shared<ArchiveBenchOptions>();
  cmd->add_option("--storage", options->storage_uri, "storage URI (default: a temp SQLite file)");
  cmd->add_option("--files", options->files, "files in the workspace")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--file-bytes", options->file_bytes, "bytes per file")
      ->check(CLI::Range(0, 10 << 20))
      ->capture_default_str();
  cmd->add_option("--rounds", options->rounds, "archives of each kind")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print one JSON object instead of a table");
  cmd->callback([options] {
    try {
      Run(*options);
    } catch (const std::exception& e) {
      throw BenchFailed(kExitFailed, e.what());
    }
  });
}

}  // namespace codeyard::bench
