// StorageWrapper forwards every call to a target Storage; TransactionWrapper does the same
// for one transaction. Subclass them and override one method to inject faults in tests (a
// commit that fails, a busy database), to count calls, or to add metrics and logging,
// without writing a whole backend. Thread-safety is the target's.
#pragma once

#include <memory>
#include <utility>

#include "codeyard/backend/storage.hpp"

namespace codeyard {

class TransactionWrapper : public Transaction {
 public:
  explicit TransactionWrapper(std::unique_ptr<Transaction> target) : target_(std::move(target)) {}

  using Transaction::Exec;
  using Transaction::Query;

  [[nodiscard]] Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    return target_->Query(sql, params);
  }
  [[nodiscard]] Result<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    return target_->Exec(sql, params);
  }
  [[nodiscard]] Result<void> Commit() override { return target_->Commit(); }
  void Rollback() noexcept override { target_->Rollback(); }

  [[nodiscard]] Transaction& target() { return *target_; }

 private:
  std::unique_ptr<Transaction> target_;
};

class StorageWrapper : public Storage {
 public:
  explicit StorageWrapper(std::shared_ptr<Storage> target) : target_(std::move(target)) {}

  [[nodiscard]] Result<std::unique_ptr<Transaction>> Begin(TxKind kind) override {
    return target_->Begin(kind);
  }
  [[nodiscard]] std::string Dialect(std::string_view migration_sql) const override {
    return target_->Dialect(migration_sql);
  }
  [[nodiscard]] StorageInfo Info() const override { return target_->Info(); }
  [[nodiscard]] Result<void> Maintain() override { return target_->Maintain(); }
  [[nodiscard]] Result<void> CheckSpace(int64_t min_free_bytes) override {
    return target_->CheckSpace(min_free_bytes);
  }
  [[nodiscard]] std::optional<ReadCacheStats> CacheStats() const override {
    return target_->CacheStats();
  }

  [[nodiscard]] Storage& target() { return *target_; }

 private:
  std::shared_ptr<Storage> target_;
};

}  // namespace codeyard
