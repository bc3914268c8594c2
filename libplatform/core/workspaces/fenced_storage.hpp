// A Storage whose every write transaction first passes the fencing check of one pod lease
// (store::pods::Fence), so a sync pass made on behalf of a pod commits nothing once another
// replica has claimed that pod. Reads go straight through. Thread-safety is the target's.
#pragma once

#include <memory>
#include <string>

#include "codeyard/backend/storage.hpp"
#include "core/store/pods.hpp"

namespace codeyard::workspaces {

class FencedStorage final : public Storage {
 public:
  FencedStorage(Storage& target, std::string workspace_id, std::string replica, int64_t generation)
      : target_(target),
        workspace_id_(std::move(workspace_id)),
        replica_(std::move(replica)),
        generation_(generation) {}

  [[nodiscard]] Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    auto tx = target_.Begin(kind);
    if (!tx || kind == TxKind::kRead) return tx;
    if (auto fenced = store::pods::Fence(**tx, workspace_id_, replica_, generation_); !fenced) {
      (*tx)->Rollback();
      return std::unexpected(fenced.error());
    }
    return tx;
  }
  [[nodiscard]] std::string Dialect(std::string_view sql) const override {
    return target_.Dialect(sql);
  }
  [[nodiscard]] StorageInfo Info() const override { return target_.Info(); }

 private:
  Storage& target_;
  std::string workspace_id_;
  std::string replica_;
  int64_t generation_;
};

}  // namespace codeyard::workspaces
