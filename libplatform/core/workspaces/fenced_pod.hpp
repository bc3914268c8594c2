// A Pod whose file calls carry the generation of one pod lease as the pod's fencing token
// (Pod::Fenced), the companion of FencedStorage (faults21): a sync pass of a replica that lost
// the lease changes nothing in the pod once the new holder has made a file call, even when
// it lost the lease between a fenced storage write and the pod call after it. A refusal is
// the storage's stale-lease error (store::pods::IsStaleLease), so callers handle both alike.
// Exec, sessions and ports go straight through. Thread-safety is the target's.
#pragma once

#include <memory>
#include <string>

#include "codeyard/backend/executor.hpp"
#include "core/store/pods.hpp"
#include "core/try.hpp"

namespace codeyard::workspaces {

class FencedPod final : public PodWrapper {
 public:
  // `pod` must outlive this wrapper (a pass's lifetime); it is not owned.
  FencedPod(Pod& pod, std::string workspace_id, int64_t generation)
      : PodWrapper(std::shared_ptr<Pod>(std::shared_ptr<Pod>(), &pod)),
        workspace_id_(std::move(workspace_id)),
        generation_(generation) {}

  Result<void> PutFiles(std::span<const FileData> files) override {
    return Run([&] { return target().PutFiles(files); });
  }
  Result<std::vector<FileData>> GetFiles(std::span<const std::string> paths) override {
    std::vector<FileData> out;
    CY_CHECK(Run([&]() -> Result<void> {
      CY_TRY(out, target().GetFiles(paths));
      return {};
    }));
    return out;
  }
  Result<void> DeleteFiles(std::span<const std::string> paths) override {
    return Run([&] { return target().DeleteFiles(paths); });
  }
  Result<std::vector<FileEntry>> ListFiles(const ListFilesOptions& options) override {
    std::vector<FileEntry> out;
    CY_CHECK(Run([&]() -> Result<void> {
      CY_TRY(out, target().ListFiles(options));
      return {};
    }));
    return out;
  }

 private:
  template <typename Calls>
  Result<void> Run(Calls&& calls) {
    auto done = target().Fenced(generation_, calls);
    if (!done && done.error().code() == Error::Code::kFailedPrecondition &&
        done.error().message().find(kStaleFencingToken) != std::string::npos) {
      return Fail(store::pods::StaleInPod(workspace_id_, generation_, done.error()));
    }
    return done;
  }

  std::string workspace_id_;
  int64_t generation_;
};

}  // namespace codeyard::workspaces
