// The measured side: every operation goes through store::Transact and a repository, as the
// services do, so the timings include the transaction wrapper, the statement cache, Value
// binding, row decoding and the repository's own statements.
#include "codeyard_subject.hpp"

#include <utility>

#include "core/store/items.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"

namespace codeyard::bench {
namespace {

class CodeyardSubject final : public Subject {
 public:
  CodeyardSubject(Storage& storage, const Workload& workload)
      : storage_(storage), workload_(workload) {}

  std::string Describe() const override { return "store::Transact + store::items"; }

  Result<int64_t> ServerProcess() override {
    if (storage_.Info().backend != "postgres") return Subject::ServerProcess();
    // The pool keeps its one connection for this single-threaded bench, so this is the
    // backend every later transaction runs on.
    auto rows = store::Transact(storage_, TxKind::kRead, [](Transaction& tx) {
      return tx.Query("SELECT pg_backend_pid()", {});
    });
    if (!rows) return Fail(rows.error());
    if (rows->empty()) return Fail(Error::Code::kInternal, "pg_backend_pid() returned no row");
    return rows->front().Int(0);
  }

  Result<void> Insert(int i, const Payload& payload) override {
    WorkspaceItem item;
    item.id = workload_.item_id(i);
    item.workspace_id = workload_.workspace_id();
    item.path = workload_.path(i);
    item.kind = ItemKind::kFile;
    item.content = payload.content;
    item.size = static_cast<int64_t>(payload.content.size());
    item.sha256 = payload.sha256;
    item.version = 1;
    item.mtime = Workload::Millis(i, 1);
    item.created_at = item.mtime;
    return store::Transact(storage_, TxKind::kWrite,
                           [&](Transaction& tx) { return store::items::Insert(tx, item); });
  }

  Result<std::string> Get(int i) override {
    auto item = store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) {
      return store::items::Get(tx, workload_.workspace_id(), workload_.path(i),
                               store::items::Content::kLoad);
    });
    if (!item) return Fail(item.error());
    return std::move(item->content);
  }

  Result<std::size_t> List() override {
    auto items = store::Transact(storage_, TxKind::kRead, [&](Transaction& tx) {
      return store::items::List(tx, workload_.workspace_id());
    });
    if (!items) return Fail(items.error());
    return items->size();
  }

  Result<int64_t> Update(int i, const Payload& payload, int64_t expected) override {
    auto written = store::Transact(storage_, TxKind::kWrite, [&](Transaction& tx) {
      return store::items::WriteContent(tx, workload_.workspace_id(), workload_.path(i),
                                        payload.content, payload.sha256,
                                        Workload::Millis(i, expected + 1), expected);
    });
    if (!written) return Fail(written.error());
    return written->version;
  }

 private:
  Storage& storage_;
  const Workload& workload_;
};

}  // namespace

Result<std::unique_ptr<Subject>> OpenCodeyardSubject(Storage& storage, const Workload& workload) {
  User user;
  user.id = workload.user_id();
  user.username = "bench";
  user.display_name = "codeyard-bench";
  user.password_hash = "-";  // never logs in
  user.created_at = user.updated_at = Workload::Millis(0, 0);
  Workspace ws;
  ws.id = workload.workspace_id();
  ws.owner_id = user.id;
  ws.name = "bench";
  ws.created_at = ws.updated_at = ws.last_active_at = user.created_at;
  auto created = store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    if (auto r = store::users::Insert(tx, user); !r) return r;
    return store::workspaces::Insert(tx, ws);
  });
  if (!created) return Fail(created.error().WithContext("creating the bench user and workspace"));
  return std::make_unique<CodeyardSubject>(storage, workload);
}

Result<void> RemoveCodeyardData(Storage& storage, const Workload& workload) {
  // The workspace and its items go with the user (ON DELETE CASCADE).
  return store::Transact(storage, TxKind::kWrite, [&](Transaction& tx) {
    return store::users::Delete(tx, workload.user_id());
  });
}

}  // namespace codeyard::bench
