// `codeyard-bench sync`: the sync engine on a 1,000-file, 10 MiB workspace (sizes are
// options), against the least a file tree copy or scan can cost on this host, measured in
// the same run:
//   start      Workspaces::Open of a stopped workspace (pod + every file in one stream)
//              vs writing the same files into a fresh directory on the host
//   no-change  one Sync pass where nothing changed          vs lstat of every file
//   one-file   one Sync pass after one file changed in the pod
//                                                           vs lstat of every file + reading one
// The passes report the bytes they read out of the pod, which must stay near zero.
#include "bench_sync.hpp"
#include "bench_util.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/workspaces.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"

namespace codeyard::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string FileName(int i) {
  return "src/pkg" + std::to_string(i % 20) + "/f" + std::to_string(i) + ".txt";
}

void WriteHostTree(const std::filesystem::path& root, int files, const std::string& content) {
  for (int i = 0; i < files; ++i) {
    const auto path = root / FileName(i);
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }
}

uint64_t StatTree(const std::filesystem::path& root) {
  uint64_t seen = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) == 0) ++seen;
  }
  return seen;
}

}  // namespace

SyncBenchReport RunSyncBench(const SyncBenchOptions& options) {
  SyncBenchReport report;
  const auto dir =
      std::filesystem::temp_directory_path() / ("cy-bench-sync-" + NewUuid().substr(0, 8));
  std::filesystem::create_directories(dir);
  Options platform_options;
  platform_options.storage_uri =
      options.storage_uri.empty() ? "sqlite://" + (dir / "bench.db").string() : options.storage_uri;
  platform_options.executor_uri = "local:?state_dir=" + (dir / "pods").string();
  auto platform = Must(Platform::Open(platform_options), "open storage and executor");
  const std::shared_ptr<Executor>& executor = platform->executor();
  User user;
  user.id = NewUuid();
  user.username = "bench-" + user.id.substr(0, 8);
  user.password_hash = "-";
  Must(store::Transact(platform->storage(), TxKind::kWrite,
                       [&](Transaction& tx) { return store::users::Insert(tx, user); }),
       "insert user");
  WorkspaceOptions ws_options;
  ws_options.file_limits.max_workspace_bytes = int64_t{1} << 30;
  ws_options.pod_limits.workspace_bytes = uint64_t{1} << 30;
  Workspaces spaces(platform, executor, ws_options);
  Files files(platform, ws_options.file_limits);
  const auto ws = Must(spaces.Create(user.id, "bench"), "create workspace");
  const std::string content(options.file_bytes, 'x');
  for (int i = 0; i < options.files; ++i) {
    Must(files.Write(user.id, ws.id, FileName(i), content), "write file");
  }
  report.total_bytes = static_cast<uint64_t>(options.files) * options.file_bytes;

  for (int round = 0; round < options.rounds; ++round) {
    // baseline: the same tree written on the host
    // On tmpfs, like the pod's workspace, so the baseline pays no disk either.
    const auto host =
        std::filesystem::path(std::filesystem::exists("/dev/shm") ? "/dev/shm" : dir) /
        ("cy-bench-host-" + NewUuid().substr(0, 8));
    auto t0 = Clock::now();
    WriteHostTree(host, options.files, content);
    report.start.baseline.Add(Clock::now() - t0);
    // first start from storage
    t0 = Clock::now();
    Must(spaces.Open(user.id, ws.id), "open workspace");
    report.start.subject.Add(Clock::now() - t0);

    for (int pass = 0; pass < options.passes; ++pass) {
      t0 = Clock::now();
      StatTree(host);
      report.no_change.baseline.Add(Clock::now() - t0);
      t0 = Clock::now();
      const auto quiet = Must(spaces.Sync(user.id, ws.id), "sync");
      report.no_change.subject.Add(Clock::now() - t0);
      report.no_change_bytes_read = std::max(report.no_change_bytes_read, quiet.bytes_from_pod);

      // one file changes in the pod (outside the measurement), then a pass
      auto pod = Must(spaces.PodOf(user.id, ws.id), "pod");
      ExecSpec edit;
      edit.argv = {"sh", "-c",
                   "printf '%s' " + std::to_string(round * 1000 + pass) + " > " + FileName(pass)};
      auto process = Must(pod->Exec(edit), "edit in pod");
      Must(process->Wait(), "edit in pod");
      t0 = Clock::now();
      StatTree(host);
      std::ifstream(host / FileName(pass), std::ios::binary).rdbuf();
      report.one_file.baseline.Add(Clock::now() - t0);
      t0 = Clock::now();
      const auto one = Must(spaces.Sync(user.id, ws.id), "sync");
      report.one_file.subject.Add(Clock::now() - t0);
      report.one_file_bytes_read = std::max(report.one_file_bytes_read, one.bytes_from_pod);
      report.one_file_pulled = one.pulled;
    }
    Must(spaces.Stop(user.id, ws.id), "stop workspace");
    std::filesystem::remove_all(host);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return report;
}

}  // namespace codeyard::bench
