// `codeyard-bench search [--files N] [--iterations N] [--regex]`: search across a workspace's files
// (FileSearch, what GET /workspaces/{id}/search runs) against `grep -rn` of the same tree on
// the local disk, in one run. The workspace has N source-like files of about 3 KiB in folders of
// 50, a few holding the word looked for; both searches are case-insensitive plain text. Prints
// p50/p95 of each and the ratio of the p95s.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "bench_util.hpp"
#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/search.hpp"
#include "commands.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"
#include "stats.hpp"

extern char** environ;

namespace codeyard::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// File i: about 3 KiB of Python-like lines; every 97th file holds the needle once.
std::string Source(int i) {
  std::string out;
  for (int line = 0; out.size() < 3000; ++line) {
    out += "def function_" + std::to_string(i) + "_" + std::to_string(line) +
           "(value, other):\n    return value * " + std::to_string(line) +
           " + other  # compute the result\n";
    if (i % 97 == 0 && line == 10) out += "    # Zanzibar marks this place\n";
  }
  return out;
}

int RunGrep(const std::string& dir, const SearchQuery& query) {
  const char* argv[] = {"grep", query.regex ? "-rniE" : "-rni", query.text.c_str(), dir.c_str(),
                        nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "grep", &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw BenchFailed(kExitFailed, "search: cannot run grep");
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void RunSearchBench(int files, int iterations, bool regex) {
  std::string dir = (fs::temp_directory_path() / "codeyard-bench-search-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) throw BenchFailed(kExitFailed, "cannot make a temp dir");
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  Options options;
  options.storage_uri = "sqlite://" + dir + "/codeyard.db";
  std::shared_ptr<Platform> platform(Must(Platform::Open(options), "open platform"));
  User user;
  user.id = NewUuid();
  user.username = "bench";
  user.password_hash = "bench";
  Workspace ws;
  ws.id = NewUuid();
  ws.owner_id = user.id;
  ws.name = "search";
  Must(store::Transact(platform->storage(), TxKind::kWrite,
                       [&](Transaction& tx) -> Result<void> {
                         CY_CHECK(store::users::Insert(tx, user));
                         return store::workspaces::Insert(tx, ws);
                       }),
       "add user and workspace");
  Files file_api(platform);
  const fs::path tree = fs::path(dir) / "tree";
  int64_t bytes = 0;
  for (int i = 0; i < files; ++i) {
    const std::string path = "pkg" + std::to_string(i / 50) + "/mod_" + std::to_string(i) + ".py";
    const std::string text = Source(i);
    bytes += static_cast<int64_t>(text.size());
    Must(file_api.Write(user.id, ws.id, path, text), "write a file");
    fs::create_directories((tree / path).parent_path());
    std::ofstream(tree / path, std::ios::binary) << text;
  }
  FileSearch search(platform);
  // As a regex, the same lines: what Boost.Regex costs over the plain matcher.
  SearchQuery query{regex ? "zan[z]ib(a|e)r" : "zanzibar", false, regex};
  const int64_t expected = (files + 96) / 97;
  Samples ours;
  Samples grep;
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    const SearchResult result = Must(search.Search(user.id, ws.id, query), "search");
    ours.Add(Clock::now() - start);
    if (result.matches != expected) {
      throw BenchFailed(kExitFailed, "search: found " + std::to_string(result.matches) +
                                         " lines, expected " + std::to_string(expected));
    }
    const auto g = Clock::now();
    if (RunGrep(tree.string(), query) != 0)
      throw BenchFailed(kExitFailed, "search: grep found nothing");
    grep.Add(Clock::now() - g);
  }
  const Summary a = ours.Summarize();
  const Summary b = grep.Summarize();
  std::printf("search: %d files, %.1f MiB, %d iterations, '%s' case-insensitive%s\n", files,
              static_cast<double>(bytes) / (1 << 20), iterations, query.text.c_str(),
              regex ? " (regex)" : "");
  std::printf("  %-34s p50 %8.2f ms   p95 %8.2f ms\n", "FileSearch (SQLite, in process)",
              Ms(a.p50_ns), Ms(a.p95_ns));
  std::printf(
      "  %-34s p50 %8.2f ms   p95 %8.2f ms\n",
      query.regex ? "grep -rniE (page cache, a process)" : "grep -rni (page cache, a process)",
      Ms(b.p50_ns), Ms(b.p95_ns));
  std::printf("  ratio of p95 (FileSearch / grep): %.2f\n",
              b.p95_ns > 0 ? static_cast<double>(a.p95_ns) / static_cast<double>(b.p95_ns) : 0.0);
}

}  // namespace

void AddSearchCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "search", "time search across a workspace's files against grep -rn of the same tree");
  auto files = std::make_shared<int>(1000);
  auto iterations = std::make_shared<int>(20);
  cmd->add_option("--files", *files, "files in the workspace")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--iterations", *iterations, "searches measured")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  auto regex = std::make_shared<bool>(false);
  cmd->add_flag("--regex", *regex, "search for a regex matching the same lines");
  cmd->callback([=] { RunSearchBench(*files, *iterations, *regex); });
}

}  // namespace codeyard::bench
