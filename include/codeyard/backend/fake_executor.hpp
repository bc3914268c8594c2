// An in-memory Executor for fast tests of the core services ("fake:" in the builtin
// registry). Pods are records in memory, each workspace a map of files, and Exec runs a
// scripted handler (SetExecHandler) or, when none answers, a tiny built-in interpreter:
// `echo ARGS`, `cat [FILES]` (stdin without files), `true`, `false`, `sh -c 'exit N'` and
// `sh -c 'SIMPLE COMMAND [> FILE | >> FILE]'` (words split on spaces, no quoting); any other
// program is kNotFound. Every call is counted (calls()), so a test can assert that a service
// made, reused or deleted pods as it should. Executors opened with the same `name`
// ("fake:?name=x") share one set of pods, as replicas share one local state directory; each
// counts its own calls. "fake:?max_pods=N" refuses pod N+1 with kResourceExhausted.
//
// What it does not emulate: isolation of any kind; resource limits (recorded, never
// enforced, except ResourceLimits::workspace_bytes, which a PutFiles over it is refused
// with); cpu and wall time limits (a process takes no time: cpu_ms and wall_ms are 0);
// output limits; terminals (tty only merges stderr into stdout; Resize checks it was asked
// for); processes that run alongside each other (a process runs when its stdin closes, at
// once without stdin_open, so nothing interactive); signals beyond ending a process that has
// not run; detachable sessions (OpenSession is kUnimplemented); pods outliving this process.
// Symlinks are stored and listed but never followed. Thread-safe: every method may be called
// from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/backend/executor.hpp"

namespace codeyard {

// How many times each method was called on one FakeExecutor (pod calls through its pods).
struct FakeExecutorCalls {
  int64_t create_pod = 0;
  int64_t get_pod = 0;
  int64_t list_pods = 0;
  int64_t delete_pod = 0;
  int64_t exec = 0;
  int64_t put_files = 0;
  int64_t get_files = 0;
  int64_t delete_files = 0;
  int64_t list_files = 0;
  int64_t reset = 0;  // Pod::Reset
};

// The workspace of a fake pod as an exec handler sees it; its reads and writes are not
// counted as calls.
class FakeWorkspace {
 public:
  virtual ~FakeWorkspace() = default;
  [[nodiscard]] virtual std::optional<std::string> Read(std::string_view path) const = 0;
  virtual void Write(std::string_view path, std::string content) = 0;
};

struct FakeExecResult {
  std::string stdout_data;
  std::string stderr_data;
  int exit_code = 0;
};

// Answers an exec (the spec, what it read on stdin, the pod's files), or nullopt to leave it
// to the built-in interpreter.
using FakeExecHandler = std::function<std::optional<FakeExecResult>(
    const ExecSpec& spec, std::string_view stdin_data, FakeWorkspace& workspace)>;

struct FakeExecutorOptions {
  std::string name;                     // executors with the same non-empty name share pods
  std::optional<std::size_t> max_pods;  // running pods at once (of the shared set)
};

class FakeExecutor : public Executor {
 public:
  explicit FakeExecutor(FakeExecutorOptions options = {});
  ~FakeExecutor() override;

  Result<std::shared_ptr<Pod>> CreatePod(const PodSpec& spec) override;
  Result<std::shared_ptr<Pod>> GetPod(std::string_view id) override;
  Result<std::vector<PodInfo>> ListPods(const LabelSelector& selector) override;
  Result<void> DeletePod(std::string_view id) override;
  std::string scheme() const override { return "fake"; }

  [[nodiscard]] FakeExecutorCalls calls() const;
  // Replaces the handler of later execs (of every pod of this executor); null removes it.
  void SetExecHandler(FakeExecHandler handler);

  struct State;     // pods and handler, shared by executors of one name
  struct Counters;  // this executor's calls, shared with the pods it handed out

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<Counters> counters_;
};

// Parses "fake:" or "fake:?name=x&max_pods=N".
[[nodiscard]] Result<FakeExecutorOptions> ParseFakeUri(std::string_view uri);

}  // namespace codeyard
