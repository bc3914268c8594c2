#include "core/events/notify.hpp"

#include <map>
#include <mutex>
#include <utility>

namespace codeyard::events {
namespace {

thread_local uint64_t appended = 0;

struct Listeners {
  std::mutex mu;  // held while listeners run: Unlisten cannot return during a call
  uint64_t next = 1;
  std::map<uint64_t, std::function<void()>> all;
};

Listeners& Registry() {
  static Listeners* listeners = new Listeners();  // never destroyed: no exit-order trouble
  return *listeners;
}

}  // namespace

uint64_t AppendedOnThisThread() noexcept { return appended; }

void NoteAppended() noexcept { ++appended; }

void NotifyCommitted() {
  Listeners& l = Registry();
  std::lock_guard lock(l.mu);
  for (const auto& [id, listener] : l.all) listener();
}

uint64_t Listen(std::function<void()> listener) {
  Listeners& l = Registry();
  std::lock_guard lock(l.mu);
  const uint64_t id = l.next++;
  l.all.emplace(id, std::move(listener));
  return id;
}

void Unlisten(uint64_t id) {
  Listeners& l = Registry();
  std::lock_guard lock(l.mu);
  l.all.erase(id);
}

}  // namespace codeyard::events
