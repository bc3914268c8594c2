// CgroupManager against the real cgroups of the machine running the tests (root needed;
// skipped otherwise). Every test uses its own group directory and random pod ids, and
// removes both. Children report through exit codes, since Catch cannot run after fork().
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <random>
#include <string>
#include <thread>

#include "executor/local/cgroup.hpp"
#include "executor/local/cgroup_internal.hpp"

namespace codeyard::local {
namespace {
namespace ci = cgroup_internal;

std::string RandomName(std::string_view prefix) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(prefix) + buf;
}

std::string Read(const std::string& path) {
  auto text = ci::ReadText(path).value_or("<missing>");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Writes "0" (meaning "the writer") to each file; only async-signal-safe calls, for children.
bool Join(const std::vector<std::string>& procs_files) {
  for (const auto& file : procs_files) {
    const int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) return false;
    close(fd);
  }
  return true;
}

// Reaps every child (our own and orphans adopted as subreaper) until none is left or a
// second passes; returns how many ended by SIGKILL.
int ReapAll() {
  int killed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0) break;  // ECHILD: nothing left
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed;
  }
  return killed;
}

bool Gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

// A manager on a private group name that kills and removes whatever pods it made.
struct Fixture {
  explicit Fixture(std::string base_override = "") {
    options.group_name = RandomName("codeyard-test-");
    options.base_override = std::move(base_override);
    manager = CgroupManager::Detect(options);
    // Orphans of double-forking children become ours to reap instead of init's.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ~Fixture() {
    for (const auto& id : manager.ListPodIds()) {
      auto cgroup = manager.Open(id);
      if (!cgroup) continue;
      (void)cgroup->KillAll();
      for (const auto& file : cgroup->ProcsFiles()) groups.push_back(Parent(Parent(file)));
      (void)cgroup->Remove();
    }
    ReapAll();
    for (const auto& group : groups) (void)ci::RemoveDir(group);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
  Result<Cgroup> Create(const CgroupLimits& limits = {}) {
    auto cgroup = manager.Create(RandomName("pod-"), limits);
    if (cgroup) {
      for (const auto& file : cgroup->ProcsFiles()) groups.push_back(Parent(Parent(file)));
    }
    return cgroup;
  }
  bool usable() const { return geteuid() == 0 && manager.version() != 0; }

  CgroupOptions options;
  CgroupManager manager;
  std::vector<std::string> groups;
};

#define SKIP_UNLESS_USABLE(f)                                  \
  if (!(f).usable()) {                                         \
    WARN("skipped: needs root and a usable cgroup hierarchy"); \
    return;                                                    \
  }

TEST_CASE("FindHierarchies pairs /proc/self/cgroup with mounts", "[cgroup]") {
  const std::string mountinfo =
      "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
      "31 30 0:27 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,relatime master:11 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "32 30 0:28 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "33 30 0:29 / /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids\n"
      "34 30 0:30 /docker/abc /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
      "35 30 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n";
  const std::string proc_cgroup =
      "6:freezer:/elsewhere\n5:cpu,cpuacct:/docker/abc/sub\n4:memory:/docker/abc\n"
      "3:pids:/user.slice\n2:blkio:/docker/abc\n0::/docker/abc\n";
  const auto found = ci::FindHierarchies(mountinfo, proc_cgroup);
  REQUIRE(found.size() == 4);  // freezer is outside its mount's root, blkio not mounted
  CHECK(found[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(found[0].own_dir == "/sys/fs/cgroup/cpu,cpuacct/sub");
  CHECK(found[1].own_dir == "/sys/fs/cgroup/memory");
  CHECK(found[2].own_dir == "/sys/fs/cgroup/my pids/user.slice");
  CHECK(found[3].v2);
  CHECK(found[3].own_dir == "/sys/fs/cgroup/unified/docker/abc");
}

TEST_CASE("Detect picks the version that has the memory controller", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  // A controller binds to one hierarchy only: v1 memory mounted means v2 cannot have it.
  const bool v1_memory = ci::Exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  CHECK(f.manager.version() == (v1_memory ? 1 : 2));
  CHECK(f.manager.CanLimitMemory());
  CHECK(f.manager.CanLimitPids());
  CHECK(f.manager.CanLimitCpu());
  const auto checks = f.manager.Checks();
  for (std::string_view name : {"cgroup version", "cgroup access", "memory limit", "swap limit",
                                "pids limit", "cpu limit", "freezer/kill"}) {
    auto it = std::find_if(checks.begin(), checks.end(),
                           [&](const HostCheck& c) { return c.name == name; });
    REQUIRE(it != checks.end());
    INFO(it->name << ": " << it->detail);
    CHECK(!it->detail.empty());
    if (it->required || name == "freezer/kill") CHECK(it->ok);
  }
}

TEST_CASE("Create writes exactly the requested limits", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  auto cgroup = f.Create({uint64_t{64} << 20, 1.5, 17});
  REQUIRE(cgroup);
  const auto files = cgroup->ProcsFiles();
  REQUIRE(!files.empty());
  for (const auto& file : files) CHECK(ci::Exists(file));
  const auto dir_with = [&](const std::string& name) {
    for (const auto& file : files) {
      if (ci::Exists(Parent(file) + "/" + name)) return Parent(file);
    }
    return std::string("<none has " + name + ">");
  };
  if (f.manager.version() == 1) {
    CHECK(files.size() >= 4);  // memory, pids, cpu(+cpuacct), freezer
    const auto mem = dir_with("memory.limit_in_bytes");
    CHECK(Read(mem + "/memory.limit_in_bytes") == "67108864");
    if (f.manager.CanLimitSwap()) CHECK(Read(mem + "/memory.memsw.limit_in_bytes") == "67108864");
    CHECK(Read(mem + "/memory.oom_control").find("oom_kill_disable 0") == 0);
    CHECK(Read(dir_with("pids.max") + "/pids.max") == "17");
    CHECK(Read(dir_with("cpu.cfs_quota_us") + "/cpu.cfs_quota_us") == "150000");
    CHECK(Read(dir_with("cpu.cfs_period_us") + "/cpu.cfs_period_us") == "100000");
  } else {
    const auto dir = Parent(files.front());
    CHECK(Read(dir + "/memory.max") == "67108864");
    if (f.manager.CanLimitSwap()) CHECK(Read(dir + "/memory.swap.max") == "0");
    CHECK(Read(dir + "/memory.oom.group") == "0");
    CHECK(Read(dir + "/pids.max") == "17");
    CHECK(Read(dir + "/cpu.max") == "150000 100000");
  }
  // Unrequested limits stay unlimited.
  auto open = f.Create({std::nullopt, std::nullopt, 9});
  REQUIRE(open);
  if (f.manager.version() == 1) {
    for (const auto& file : open->ProcsFiles()) {
      if (ci::Exists(Parent(file) + "/cpu.cfs_quota_us")) {
        CHECK(Read(Parent(file) + "/cpu.cfs_quota_us") == "-1");
      }
    }
  }
}

TEST_CASE("Create refuses taken ids, bad ids and bad limits", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  const std::string id = RandomName("pod-");
  auto first = f.manager.Create(id, {});
  REQUIRE(first);
  auto second = f.manager.Create(id, {uint64_t{1} << 30, std::nullopt, std::nullopt});
  REQUIRE_FALSE(second);
  CHECK(second.error().code() == Error::Code::kAlreadyExists);
  for (const auto& file : first->ProcsFiles()) CHECK(ci::Exists(file));  // left intact
  for (std::string_view bad : {"", "..", "a/b", "."}) {
    auto made = f.manager.Create(bad, {});
    REQUIRE_FALSE(made);
    CHECK(made.error().code() == Error::Code::kInvalidArgument);
  }
  for (const CgroupLimits& bad :
       {CgroupLimits{0, std::nullopt, std::nullopt}, CgroupLimits{std::nullopt, -1.0, std::nullopt},
        CgroupLimits{std::nullopt, std::nullopt, 0u}}) {
    auto made = f.Create(bad);
    REQUIRE_FALSE(made);
    CHECK(made.error().code() == Error::Code::kInvalidArgument);
  }
}

TEST_CASE("A pod over its memory limit loses the hog to the OOM killer", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  constexpr uint64_t kLimit = uint64_t{32} << 20;
  auto cgroup = f.Create({kLimit, std::nullopt, std::nullopt});
  REQUIRE(cgroup);
  const auto files = cgroup->ProcsFiles();
  const pid_t child = fork();
  if (child == 0) {
    if (!Join(files)) _exit(90);
    constexpr size_t kSize = size_t{64} << 20;
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) _exit(91);
    auto* bytes = static_cast<volatile char*>(p);
    for (size_t i = 0; i < kSize; i += 4096) bytes[i] = 1;
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("status " << status);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  auto usage = cgroup->Usage();
  REQUIRE(usage);
  CHECK(usage->oom_kills >= 1);
  CHECK(usage->memory_peak_bytes <= kLimit);
  CHECK(usage->memory_peak_bytes > kLimit / 2);
  CHECK(usage->cpu_usage_ns > 0);  // touching the pages took some
}

TEST_CASE("pids.max makes fork fail with EAGAIN", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  auto cgroup = f.Create({std::nullopt, std::nullopt, 5});
  REQUIRE(cgroup);
  const auto files = cgroup->ProcsFiles();
  const pid_t child = fork();
  if (child == 0) {
    if (!Join(files)) _exit(90);
    for (int made = 0; made < 20; ++made) {
      const pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p < 0) _exit(errno == EAGAIN ? made : 91);
    }
    _exit(92);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 4);  // the child itself plus 4 make 5
  REQUIRE(cgroup->KillAll());
  CHECK(ReapAll() == 4);
}

// Forks a child that joins `files`, double-forks a setsid'd grandchild and waits;
// returns {child, grandchild}.
std::pair<pid_t, pid_t> SpawnDaemonizing(const std::vector<std::string>& files) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, -1};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    if (!Join(files)) _exit(90);
    const pid_t middle = fork();
    if (middle == 0) {
      setsid();
      const pid_t daemon = fork();
      if (daemon == 0) {
        pause();
        _exit(0);
      }
      (void)!write(fds[1], &daemon, sizeof daemon);
      _exit(0);
    }
    waitpid(middle, nullptr, 0);
    pause();
    _exit(0);
  }
  close(fds[1]);
  pid_t daemon = -1;
  if (read(fds[0], &daemon, sizeof daemon) != sizeof daemon) daemon = -1;
  close(fds[0]);
  return {child, daemon};
}

void ExpectKillAllEndsDaemons(const Cgroup& cgroup) {
  const auto [child, daemon] = SpawnDaemonizing(cgroup.ProcsFiles());
  REQUIRE(child > 0);
  REQUIRE(daemon > 0);
  CHECK(kill(daemon, 0) == 0);
  REQUIRE(cgroup.KillAll());
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  ReapAll();  // the daemon, adopted by us as subreaper
  CHECK(Gone(child));
  CHECK(Gone(daemon));
  for (const auto& file : cgroup.ProcsFiles()) CHECK(Read(file).empty());
}

TEST_CASE("KillAll ends processes that double-forked and left the session", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  auto cgroup = f.Create({std::nullopt, std::nullopt, 50});
  REQUIRE(cgroup);
  ExpectKillAllEndsDaemons(*cgroup);
  auto usage = cgroup->Usage();
  REQUIRE(usage);
  CHECK(usage->pids_current == 0);
  CHECK(cgroup->KillAll());  // nothing left: still fine
}

TEST_CASE("Remove deletes the directories, ListPodIds follows", "[cgroup]") {
  Fixture f;
  SKIP_UNLESS_USABLE(f);
  const std::string kept = RandomName("pod-"), removed = RandomName("pod-");
  auto a = f.manager.Create(kept, {});
  auto b = f.manager.Create(removed, {std::nullopt, std::nullopt, 8});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(f.manager.ListPodIds() == (kept < removed ? std::vector<std::string>{kept, removed}
                                                  : std::vector<std::string>{removed, kept}));
  REQUIRE(b->Remove());
  for (const auto& file : b->ProcsFiles()) CHECK_FALSE(ci::Exists(Parent(file)));
  CHECK(b->Remove());  // already gone is fine
  CHECK(f.manager.ListPodIds() == std::vector<std::string>{kept});
  auto opened = f.manager.Open(removed);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code() == Error::Code::kNotFound);
  auto reopened = f.manager.Open(kept);
  REQUIRE(reopened);
  CHECK(reopened->ProcsFiles() == a->ProcsFiles());
  CHECK(b->Usage().error().code() == Error::Code::kNotFound);
}

TEST_CASE("Pods can be made from many threads at once", "[cgroup]") {
  Fixture f;  // fresh group name: the threads race to create the group directory too
  SKIP_UNLESS_USABLE(f);
  constexpr int kThreads = 8, kEach = 4;
  std::atomic<int> made{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (f.manager.Create(RandomName("pod-"), {uint64_t{16} << 20, 0.5, 10})) ++made;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(made == kThreads * kEach);
  CHECK(f.manager.ListPodIds().size() == size_t{kThreads * kEach});
}

// --- v2 paths, in the v2 tree beside the v1 controllers on a hybrid host ---

const std::string kUnified = "/sys/fs/cgroup/unified";

bool HybridV2Available() { return geteuid() == 0 && ci::Exists(kUnified + "/cgroup.controllers"); }

TEST_CASE("v2 base without controllers: clear refusal, and cgroup.kill works", "[cgroup]") {
  if (!HybridV2Available()) {
    WARN("skipped: needs root and a v2 tree at " + kUnified);
    return;
  }
  Fixture f(kUnified + "/" + RandomName("codeyard-test-"));
  REQUIRE(f.manager.version() == 2);
  CHECK_FALSE(f.manager.CanLimitMemory());
  auto limited = f.Create({uint64_t{64} << 20, std::nullopt, std::nullopt});
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code() == Error::Code::kFailedPrecondition);
  INFO(limited.error().message());
  CHECK(limited.error().message().starts_with("cgroup memory controller not available: "));
  auto cgroup = f.Create();
  REQUIRE(cgroup);
  REQUIRE(cgroup->ProcsFiles().size() == 1);
  CHECK(ci::Exists(Parent(cgroup->ProcsFiles().front()) + "/cgroup.kill"));
  ExpectKillAllEndsDaemons(*cgroup);
  auto usage = cgroup->Usage();
  REQUIRE(usage);
  CHECK(cgroup->Remove());
  CHECK(f.manager.ListPodIds().empty());
}

TEST_CASE("v2 freeze-and-kill, the path for kernels before cgroup.kill", "[cgroup]") {
  if (!HybridV2Available()) {
    WARN("skipped: needs root and a v2 tree at " + kUnified);
    return;
  }
  Fixture f(kUnified + "/" + RandomName("codeyard-test-"));
  auto cgroup = f.Create();
  REQUIRE(cgroup);
  const std::string dir = Parent(cgroup->ProcsFiles().front());
  const auto [child, daemon] = SpawnDaemonizing(cgroup->ProcsFiles());
  REQUIRE(daemon > 0);
  REQUIRE(ci::KillV2(dir, /*use_kill_file=*/false));
  CHECK(Read(dir + "/cgroup.freeze") == "0");  // thawed again
  ReapAll();
  CHECK(Gone(child));
  CHECK(Gone(daemon));
}

TEST_CASE("v2 delegation: the executor steps into a supervisor leaf first", "[cgroup]") {
  if (!HybridV2Available() ||
      !ci::Words(Read(kUnified + "/cgroup.controllers")).contains("hugetlb")) {
    WARN("skipped: needs root and a v2 tree at " + kUnified + " offering hugetlb");
    return;
  }
  // hugetlb, the one controller this host's v2 tree has, stands in for memory: it is a
  // domain controller too, so the no-internal-process rule applies to it the same way.
  // The tree's root must hand it down for the stand-in delegated cgroup to get it.
  const bool enable_at_root =
      !ci::Words(Read(kUnified + "/cgroup.subtree_control")).contains("hugetlb");
  if (enable_at_root) REQUIRE(ci::WriteText(kUnified + "/cgroup.subtree_control", "+hugetlb"));
  const std::string rel = "/" + RandomName("codeyard-test-own-");
  const std::string own = kUnified + rel, base = own + "/codeyard";
  struct Cleanup {
    std::string own, base;
    bool root;
    ~Cleanup() {
      for (const auto& dir : {base, own + "/supervisor", own}) (void)ci::RemoveDir(dir);
      if (root) (void)ci::WriteText(kUnified + "/cgroup.subtree_control", "-hugetlb");
    }
  } cleanup{own, base, enable_at_root};
  REQUIRE(ci::MakeDir(own));
  const pid_t child = fork();
  if (child == 0) {
    // Past async-signal safety here, which is fine: this test process has one thread.
    if (!Join({own + "/cgroup.procs"})) _exit(90);
    constexpr std::string_view hugetlb[] = {"hugetlb"};
    auto refused = ci::PrepareV2Base({own, base, /*move_self=*/false}, hugetlb);
    if (refused || refused.error().code() != Error::Code::kFailedPrecondition) _exit(91);
    const auto layout = ci::DefaultV2Layout({true, {}, kUnified, own}, "codeyard");
    if (layout.top != own || layout.base != base || !layout.move_self) _exit(89);
    if (!ci::PrepareV2Base(layout, hugetlb)) _exit(92);
    if (Read("/proc/self/cgroup").find("0::" + rel + "/supervisor") == std::string::npos) _exit(93);
    // Detection after the move sees <own>/supervisor and still means <own>.
    const auto self = ci::FindHierarchies(Read("/proc/self/mountinfo"), Read("/proc/self/cgroup"));
    for (const auto& h : self) {
      if (h.v2 && h.mount_point == kUnified && ci::DefaultV2Layout(h, "codeyard").base != base) {
        _exit(88);
      }
    }
    if (!ci::Words(Read(own + "/cgroup.subtree_control")).contains("hugetlb")) _exit(94);
    if (!ci::Words(Read(base + "/cgroup.subtree_control")).contains("hugetlb")) _exit(95);
    const auto manager = CgroupManager::Detect({"codeyard", base});
    auto pod = manager.Create("pod", {});
    if (!pod) _exit(96);
    if (!ci::Words(Read(base + "/pod/cgroup.controllers")).contains("hugetlb")) _exit(97);
    if (!pod->Remove()) _exit(98);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 91: not refused, 93: not moved, 94/95: not enabled
  CHECK(Read(own + "/supervisor/cgroup.procs").empty());
}

TEST_CASE("DefaultV2Layout steps aside everywhere but in the real root", "[cgroup]") {
  if (!HybridV2Available()) {
    WARN("skipped: needs root and a v2 tree at " + kUnified);
    return;
  }
  const auto in_root = ci::DefaultV2Layout({true, {}, kUnified, kUnified}, "g");
  CHECK(in_root.top == kUnified);
  CHECK(in_root.base == kUnified + "/g");
  CHECK_FALSE(in_root.move_self);
  const std::string own = kUnified + "/" + RandomName("codeyard-test-own-");
  REQUIRE(ci::MakeDir(own));
  const auto delegated = ci::DefaultV2Layout({true, {}, kUnified, own + "/supervisor"}, "g");
  CHECK(delegated.top == own);
  CHECK(delegated.base == own + "/g");
  CHECK(delegated.move_self);
  // A container's cgroup namespace root looks like a mount root but has cgroup.type.
  CHECK(ci::DefaultV2Layout({true, {}, own, own}, "g").move_self);
  CHECK(ci::RemoveDir(own));
}

}  // namespace
}  // namespace codeyard::local
