// Wakes this process's events pollers when a transaction that appended events commits, so a
// replica's own changes reach its own subscribers at once instead of at the next poll
// (events.poll_interval_ms still paces what other replicas wrote). store::events::Append
// marks the calling thread; store::Transact, which runs the whole unit of work on that
// thread, notifies after a successful commit when the mark moved during it. A rolled-back
// attempt notifies nobody.
//
// Threads: all functions are safe from any thread; a listener is called on the committing
// thread and must only signal (no blocking, no storage, no call back into this file).
#pragma once

#include <cstdint>
#include <functional>

namespace codeyard::events {

// How many events this thread has appended so far (compared before and after a commit).
[[nodiscard]] uint64_t AppendedOnThisThread() noexcept;
// Called by store::events::Append.
void NoteAppended() noexcept;
// Called after a commit that appended events: calls every listener.
void NotifyCommitted();

// Registers `listener` until the returned id is passed to Unlisten (which waits for a call
// in progress to end, so the listener's captures may then go).
[[nodiscard]] uint64_t Listen(std::function<void()> listener);
void Unlisten(uint64_t id);

}  // namespace codeyard::events
