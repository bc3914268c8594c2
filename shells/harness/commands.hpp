// The `codeyard-bench` command table, in the style of shells/cli: each benchmark is one
// function that adds a CLI11 subcommand with its options and a callback; main() installs
// every entry of kCommands. A callback reports failure by throwing BenchFailed.
#pragma once

#include <CLI/CLI.hpp>

#include <array>
#include <stdexcept>
#include <string>

namespace codeyard::bench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // the benchmark ran and failed
inline constexpr int kExitBadInput = 2;  // bad flags or URI

class BenchFailed : public std::runtime_error {
 public:
  BenchFailed(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// `storage`: Codeyard's storage layer against the raw driver (cmd_storage.cpp).
void AddStorageCommand(CLI::App& app);
// `exec`: sandboxed exec and one-shot runs against bare python3 (cmd_exec.cpp).
void AddExecCommand(CLI::App& app);
// `sync`: workspace start and sync passes against the host's own tree copy (cmd_sync.cpp).
void AddSyncCommand(CLI::App& app);
// `http`: codeyard-server under wrk against a bare libwebsockets server (cmd_http.cpp).
void AddHttpCommand(CLI::App& app);
// `stall`: a second user's latency while a first saturates exec, against idle (cmd_stall.cpp).
void AddStallCommand(CLI::App& app);
// `pods`: reaching a running pod from another executor, against creating one (cmd_pods.cpp).
void AddPodsCommand(CLI::App& app);
// `attach`: attaching to an existing terminal session against exec of a shell (cmd_attach.cpp).
void AddAttachCommand(CLI::App& app);
// `agent`: exec and file calls through `codeyard-pod agent` against the local backend
// (cmd_agent.cpp).
void AddAgentCommand(CLI::App& app);

// `reviews`: submitting a workspace for review and the review queue (cmd_reviews.cpp).
void AddReviewsCommand(CLI::App& app);

// `grading`: grading a problem of N tests against the same N runs bare (cmd_grading.cpp).
void AddGradingCommand(CLI::App& app);

// `archive`: a workspace zip (Archives) against tar | gzip of the same tree (cmd_archive.cpp).
void AddArchiveCommand(CLI::App& app);
// `search`: search across a workspace's files against grep -rn of the same tree (cmd_search.cpp).
void AddSearchCommand(CLI::App& app);
// `kube`: the k8s: executor against codeyard-kube-fake, next to local: (cmd_kube.cpp).
void AddKubeCommand(CLI::App& app);

// `preview`: the preview relay against a direct loopback fetch of the same program
// (cmd_preview.cpp).
void AddPreviewCommand(CLI::App& app);
// `lsp`: the first diagnostic after an edit through the server's lsp WebSocket against pylsp's
// stdio in the same pod (cmd_lsp.cpp).
void AddLspCommand(CLI::App& app);

// `usage`: usage reports over a year of daily rows against the bare SELECT (cmd_usage.cpp,
// usage20).
void AddUsageCommand(CLI::App& app);
// `quota`: quota check overhead per action and audit log insert cost (cmd_usage.cpp, usage20).
void AddQuotaCommand(CLI::App& app);

using AddCommand = void (*)(CLI::App&);
inline constexpr AddCommand kCommands[] = {
    AddStorageCommand, AddExecCommand,   AddSyncCommand,    AddHttpCommand,    AddStallCommand,
    AddPodsCommand,    AddAttachCommand, AddReviewsCommand, AddGradingCommand, AddArchiveCommand,
    AddSearchCommand,  AddAgentCommand,  AddPreviewCommand, AddKubeCommand,    AddLspCommand,
    AddUsageCommand,   AddQuotaCommand,  // usage20
};

}  // namespace codeyard::bench
