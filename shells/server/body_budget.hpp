// The bytes of request bodies the server buffers at once, over all connections
// (server.max_inflight_body_bytes): the service thread takes a Charge before it reads a body,
// and the Charge travels with the request to the worker, which frees it with the request.
// TryTake and the Charge's release are lock-free and may run on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

namespace codeyard::server {

// A Charge holds its bytes until destroyed (with the request it travelled with).
class BodyBudget {
 public:
  explicit BodyBudget(int64_t capacity) : capacity_(capacity) {}

  class Charge {
   public:
    Charge() = default;
    Charge(BodyBudget* budget, int64_t bytes) : budget_(budget), bytes_(bytes) {}
    Charge(Charge&& other) noexcept
        : budget_(std::exchange(other.budget_, nullptr)), bytes_(other.bytes_) {}
    Charge& operator=(Charge&& other) noexcept {
      if (this != &other) {
        Release();
        budget_ = std::exchange(other.budget_, nullptr);
        bytes_ = other.bytes_;
      }
      return *this;
    }
    Charge(const Charge&) = delete;
    Charge& operator=(const Charge&) = delete;
    ~Charge() { Release(); }

   private:
    void Release() {
      if (budget_ != nullptr) budget_->used_.fetch_sub(bytes_, std::memory_order_relaxed);
      budget_ = nullptr;
    }
    BodyBudget* budget_ = nullptr;
    int64_t bytes_ = 0;
  };

  // Reserves `bytes`, or returns nullopt when they do not fit now.
  std::optional<Charge> TryTake(int64_t bytes) {
    int64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (used + bytes > capacity_) return std::nullopt;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return Charge(this, bytes);
  }

 private:
  const int64_t capacity_;
  std::atomic<int64_t> used_{0};
};

}  // namespace codeyard::server
