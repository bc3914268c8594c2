// SharedRead (codeyard/backend/storage.hpp): the scope open on each thread, which
// store::Transact consults for every read transaction.
#include "codeyard/backend/storage.hpp"

namespace codeyard {
namespace {

thread_local SharedRead* current_scope = nullptr;
thread_local const Storage* current_storage = nullptr;

}  // namespace

SharedRead::SharedRead(Storage& storage) noexcept {
  if (current_scope != nullptr) return;  // nested: the outer scope shares already
  storage_ = &storage;
  current_scope = this;
  current_storage = &storage;
}

SharedRead::~SharedRead() {
  if (storage_ == nullptr) return;
  Drop();
  current_scope = nullptr;
  current_storage = nullptr;
}

SharedRead* SharedRead::Current(const Storage& storage) noexcept {
  return current_storage == &storage ? current_scope : nullptr;
}

Result<Transaction*> SharedRead::Get() {
  if (!tx_) {
    auto tx = storage_->Begin(TxKind::kRead);
    if (!tx) return Fail(tx.error());
    tx_ = std::move(*tx);
  }
  return tx_.get();
}

void SharedRead::Drop() noexcept {
  if (!tx_) return;
  // A read transaction has nothing to keep: ending it either way releases its snapshot.
  tx_->Rollback();
  tx_.reset();
}

}  // namespace codeyard
