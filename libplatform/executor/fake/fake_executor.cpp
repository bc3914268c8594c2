#include "codeyard/backend/fake_executor.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "codeyard/id.hpp"
#include "core/try.hpp"
#include "core/uri_query.hpp"
#include "executor/fake/fake_internal.hpp"
#include "executor/fake/fake_registry.hpp"

namespace codeyard {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class FakePod;

}  // namespace

struct FakeExecutor::State {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<FakePod>, std::less<>> pods;
  FakeExecHandler handler;
  std::optional<std::size_t> max_pods;
};

namespace {

// The pods of executors opened with one name.
std::shared_ptr<FakeExecutor::State> SharedState(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<FakeExecutor::State>> named;
  if (name.empty()) return std::make_shared<FakeExecutor::State>();
  std::lock_guard lock(mu);
  if (auto existing = named[name].lock()) return existing;
  auto state = std::make_shared<FakeExecutor::State>();
  named[name] = state;
  return state;
}

class FakePod : public Pod, public FakeWorkspace {
 public:
  FakePod(PodInfo info, std::shared_ptr<FakeExecutor::State> state)
      : info_(std::move(info)), state_(std::move(state)) {}

  const std::string& id() const override { return info_.id; }
  PodInfo Info() const override {
    std::lock_guard lock(mu_);
    return info_;
  }

  void End() {
    std::lock_guard lock(mu_);
    info_.phase = PodPhase::kTerminated;
    info_.message = "deleted";
    files_.clear();
  }

  // Calls are counted by the executor that handed this pod out (a view, below).
  Result<std::unique_ptr<Process>> DoExec(const ExecSpec& spec) {
    if (spec.argv.empty() || spec.argv[0].empty()) {
      return Fail(Error::Code::kInvalidArgument, "exec needs a program to run");
    }
    if (spec.cwd.empty() || spec.cwd.front() != '/') {
      return Fail(Error::Code::kInvalidArgument, "exec cwd must be absolute: \"" + spec.cwd + "\"");
    }
    CY_CHECK(Running());
    FakeExecHandler handler;
    {
      std::lock_guard lock(state_->mu);
      handler = state_->handler;
    }
    auto process = std::make_unique<fake::FakeProcess>(
        spec, [spec, handler, self = weak_self.lock()](std::string_view stdin_data) {
          return fake::Run(spec, stdin_data, *self, handler);
        });
    // Without stdin_open it runs now, so a program neither the handler nor the interpreter
    // knows fails here, as a missing one does on a real backend.
    if (!spec.stdin_open && !process->RunNow()) {
      return Fail(Error::Code::kNotFound, "program not found: " + spec.argv[0]);
    }
    return std::unique_ptr<Process>(std::move(process));
  }

  Result<void> DoPut(std::span<const FileData> files) {
    std::lock_guard lock(mu_);
    CY_CHECK(RunningLocked());
    fake::Files next = files_;
    for (const auto& file : files) {
      if (const auto bad = fake::BadPath(file.path); !bad.empty()) {
        return Fail(Error::Code::kInvalidArgument, "path \"" + file.path + "\" " + bad);
      }
      for (size_t slash = file.path.find('/'); slash != std::string::npos;
           slash = file.path.find('/', slash + 1)) {
        auto& parent = next[file.path.substr(0, slash)];
        if (parent.kind == FileKind::kSymlink) {
          return Fail(Error::Code::kPermissionDenied,
                      "path \"" + file.path + "\" is through a symlink");
        }
        parent.kind = FileKind::kDirectory;
        parent.content.clear();
        parent.mode = 0755;
      }
      fake::Entry& entry = next[file.path];
      entry.kind = file.kind;
      entry.content = file.kind == FileKind::kDirectory ? "" : file.content;
      entry.mode = file.mode;
      entry.mtime_ns = file.mtime_ns.value_or(NowNs());
    }
    if (const auto cap = info_.spec.limits.workspace_bytes) {
      uint64_t used = 0;
      for (const auto& [path, entry] : next) used += entry.content.size();
      if (used > *cap) {
        return Fail(Error::Code::kResourceExhausted,
                    "the workspace is full (" + std::to_string(*cap) + " bytes)");
      }
    }
    files_ = std::move(next);
    return {};
  }

  Result<std::vector<FileData>> DoGet(std::span<const std::string> paths) {
    std::lock_guard lock(mu_);
    CY_CHECK(RunningLocked());
    std::vector<FileData> out;
    for (const auto& path : paths) {
      if (const auto bad = fake::BadPath(path); !bad.empty()) {
        return Fail(Error::Code::kInvalidArgument, "path \"" + path + "\" " + bad);
      }
      const auto it = files_.find(path);
      if (it == files_.end()) return Fail(Error::Code::kNotFound, "no file " + path);
      out.push_back(
          {path, it->second.kind, it->second.content, it->second.mode, it->second.mtime_ns});
    }
    return out;
  }

  Result<void> DoDelete(std::span<const std::string> paths) {
    std::lock_guard lock(mu_);
    CY_CHECK(RunningLocked());
    for (const auto& path : paths) {
      if (const auto bad = fake::BadPath(path); !bad.empty()) {
        return Fail(Error::Code::kInvalidArgument, "path \"" + path + "\" " + bad);
      }
      files_.erase(path);
      const std::string prefix = path + "/";
      for (auto it = files_.lower_bound(prefix);
           it != files_.end() && it->first.starts_with(prefix);) {
        it = files_.erase(it);
      }
    }
    return {};
  }

  Result<std::vector<FileEntry>> DoList(const ListFilesOptions& options) {
    std::lock_guard lock(mu_);
    CY_CHECK(RunningLocked());
    std::vector<FileEntry> out;
    const std::string prefix = options.under.empty() ? "" : options.under + "/";
    for (const auto& [path, entry] : files_) {
      if (!path.starts_with(prefix)) continue;
      bool skipped = false;
      size_t start = prefix.size();
      for (size_t slash = path.find('/', start); slash != std::string::npos && !skipped;
           slash = path.find('/', start)) {
        const std::string dir = path.substr(start, slash - start);
        skipped = std::find(options.skip_dirs.begin(), options.skip_dirs.end(), dir) !=
                  options.skip_dirs.end();
        start = slash + 1;
      }
      if (skipped) continue;
      FileEntry e;
      e.path = path;
      e.kind = entry.kind;
      e.mode = entry.mode;
      e.mtime_ns = entry.mtime_ns;
      if (entry.kind == FileKind::kFile) {
        e.size = entry.content.size();
        if (options.with_sha256) e.sha256 = Sha256Hex(entry.content);
      } else if (entry.kind == FileKind::kSymlink) {
        e.target = entry.content;
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  // A fake process runs to its end inside Exec and leaves nothing running: a reset is an
  // empty workspace.
  Result<void> DoReset() {
    std::lock_guard lock(mu_);
    CY_CHECK(RunningLocked());
    files_.clear();
    return {};
  }

  // FakeWorkspace, for exec handlers: not counted.
  std::optional<std::string> Read(std::string_view path) const override {
    std::lock_guard lock(mu_);
    const auto it = files_.find(path);
    if (it == files_.end() || it->second.kind != FileKind::kFile) return std::nullopt;
    return it->second.content;
  }
  void Write(std::string_view path, std::string content) override {
    FileData file{std::string(path), FileKind::kFile, std::move(content), 0644, {}};
    (void)DoPut(std::span<const FileData>(&file, 1));
  }

  // Not part of Pod: never called, the views below are what callers get.
  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override { return DoExec(spec); }
  Result<void> PutFiles(std::span<const FileData> files) override { return DoPut(files); }
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override {
    return DoGet(paths);
  }
  Result<void> DeleteFiles(std::span<const std::string> paths) override { return DoDelete(paths); }
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
    return DoList(options);
  }
  Result<void> Reset() override { return DoReset(); }

  std::weak_ptr<FakePod> weak_self;

 private:
  Result<void> Running() const {
    std::lock_guard lock(mu_);
    return RunningLocked();
  }
  Result<void> RunningLocked() const {
    if (info_.phase != PodPhase::kRunning) {
      return Fail(Error::Code::kFailedPrecondition, "pod " + info_.id + " is not running");
    }
    return {};
  }

  mutable std::mutex mu_;
  PodInfo info_;
  fake::Files files_;
  std::shared_ptr<FakeExecutor::State> state_;
};

// What one executor hands out for a pod: counts calls into that executor's counters.
class CountingPod : public Pod {
 public:
  CountingPod(std::shared_ptr<FakePod> pod, std::shared_ptr<FakeExecutor::Counters> counters)
      : pod_(std::move(pod)), counters_(std::move(counters)) {}
  const std::string& id() const override { return pod_->id(); }
  PodInfo Info() const override { return pod_->Info(); }
  Result<std::unique_ptr<Process>> Exec(const ExecSpec& spec) override {
    ++counters_->exec;
    return pod_->DoExec(spec);
  }
  Result<void> PutFiles(std::span<const FileData> files) override {
    ++counters_->put_files;
    return pod_->DoPut(files);
  }
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override {
    ++counters_->get_files;
    return pod_->DoGet(paths);
  }
  Result<void> DeleteFiles(std::span<const std::string> paths) override {
    ++counters_->delete_files;
    return pod_->DoDelete(paths);
  }
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
    ++counters_->list_files;
    return pod_->DoList(options);
  }
  Result<void> Reset() override {
    ++counters_->reset;
    return pod_->DoReset();
  }

 private:
  std::shared_ptr<FakePod> pod_;
  std::shared_ptr<FakeExecutor::Counters> counters_;
};

}  // namespace

FakeExecutor::FakeExecutor(FakeExecutorOptions options)
    : state_(SharedState(options.name)), counters_(std::make_shared<Counters>()) {
  if (options.max_pods) {
    std::lock_guard lock(state_->mu);
    state_->max_pods = options.max_pods;
  }
}

FakeExecutor::~FakeExecutor() = default;

Result<std::shared_ptr<Pod>> FakeExecutor::CreatePod(const PodSpec& spec) {
  ++counters_->create_pod;
  for (const auto& [key, value] : spec.labels) {
    if (key.empty()) return Fail(Error::Code::kInvalidArgument, "a label needs a key");
  }
  PodInfo info;
  info.id = NewUuid();
  info.spec = spec;
  info.phase = PodPhase::kRunning;
  info.created_unix_ms = NowNs() / 1'000'000;
  auto pod = std::make_shared<FakePod>(std::move(info), state_);
  pod->weak_self = pod;
  {
    std::lock_guard lock(state_->mu);
    if (state_->max_pods && state_->pods.size() >= *state_->max_pods) {
      return Fail(Error::Code::kResourceExhausted,
                  "fake executor: " + std::to_string(*state_->max_pods) + " pods already run");
    }
    state_->pods[pod->id()] = pod;
  }
  return std::shared_ptr<Pod>(std::make_shared<CountingPod>(pod, counters_));
}

Result<std::shared_ptr<Pod>> FakeExecutor::GetPod(std::string_view id) {
  ++counters_->get_pod;
  std::lock_guard lock(state_->mu);
  const auto it = state_->pods.find(id);
  if (it == state_->pods.end()) return Fail(Error::Code::kNotFound, "no pod " + std::string(id));
  return std::shared_ptr<Pod>(std::make_shared<CountingPod>(it->second, counters_));
}

Result<std::vector<PodInfo>> FakeExecutor::ListPods(const LabelSelector& selector) {
  ++counters_->list_pods;
  std::vector<PodInfo> out;
  {
    std::lock_guard lock(state_->mu);
    for (const auto& [id, pod] : state_->pods) {
      PodInfo info = pod->Info();
      if (LabelsMatch(info.spec.labels, selector)) out.push_back(std::move(info));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PodInfo& a, const PodInfo& b) {
    return a.created_unix_ms < b.created_unix_ms;
  });
  return out;
}

Result<void> FakeExecutor::DeletePod(std::string_view id) {
  ++counters_->delete_pod;
  std::shared_ptr<FakePod> pod;
  {
    std::lock_guard lock(state_->mu);
    const auto it = state_->pods.find(id);
    if (it == state_->pods.end()) return Fail(Error::Code::kNotFound, "no pod " + std::string(id));
    pod = it->second;
    state_->pods.erase(it);
  }
  pod->End();
  return {};
}

FakeExecutorCalls FakeExecutor::calls() const {
  FakeExecutorCalls c;
  c.create_pod = counters_->create_pod;
  c.get_pod = counters_->get_pod;
  c.list_pods = counters_->list_pods;
  c.delete_pod = counters_->delete_pod;
  c.exec = counters_->exec;
  c.put_files = counters_->put_files;
  c.get_files = counters_->get_files;
  c.delete_files = counters_->delete_files;
  c.list_files = counters_->list_files;
  c.reset = counters_->reset;
  return c;
}

void FakeExecutor::SetExecHandler(FakeExecHandler handler) {
  std::lock_guard lock(state_->mu);
  state_->handler = std::move(handler);
}

Result<FakeExecutorOptions> ParseFakeUri(std::string_view uri) {
  if (!uri.starts_with("fake:")) {
    return Fail(Error::Code::kInvalidArgument, "not a fake executor URI: " + std::string(uri));
  }
  std::string_view rest = uri.substr(5);
  FakeExecutorOptions options;
  if (rest.empty()) return options;
  if (rest.front() != '?') {
    return Fail(Error::Code::kInvalidArgument, "fake executor URI takes only parameters");
  }
  rest.remove_prefix(1);
  for (const auto& [key, value] : SplitQuery(rest)) {
    if (key == "name") {
      options.name = value;
    } else if (key == "max_pods") {
      std::size_t n = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size()) {
        return Fail(Error::Code::kInvalidArgument, "fake executor: max_pods must be a number");
      }
      options.max_pods = n;
    } else {
      return Fail(
          Error::Code::kInvalidArgument,
          "fake executor: unknown parameter \"" + std::string(key) + "\" (known: name, max_pods)");
    }
  }
  return options;
}

Result<std::shared_ptr<Executor>> OpenFakeExecutor(std::string_view uri,
                                                   const BackendContext& context) {
  (void)context;
  CY_TRY(auto options, ParseFakeUri(uri));
  return std::shared_ptr<Executor>(std::make_shared<FakeExecutor>(std::move(options)));
}

}  // namespace codeyard
