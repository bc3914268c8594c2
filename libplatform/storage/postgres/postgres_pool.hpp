// The PostgreSQL connection pool: up to pool_size libpq connections, made lazily (the first
// by the caller, so Open can report an unreachable server), handed out as Leases and taken
// back only when idle and healthy. Acquire() waits up to pool_timeout_ms for a free
// connection. ConnectionPool is safe to use from any thread; a Lease belongs to one thread.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/log.hpp"

namespace codeyard::postgres {

struct PoolOptions {
  std::string conninfo;              // the URI without our own parameters, as libpq wants it
  std::vector<std::string> secrets;  // passwords found in the URI, scrubbed from messages
  int pool_size = 8;
  int pool_timeout_ms = 10000;
};

// Splits a postgres:// or postgresql:// URI into libpq's part and our parameters
// (pool_size, pool_timeout_ms). Errors: kInvalidArgument naming the bad parameter, or for a
// URI libpq cannot parse (with the password redacted).
[[nodiscard]] Result<PoolOptions> ParsePoolOptions(std::string_view uri);

// "host:port/dbname" of a connection, made or failed; never holds a password.
[[nodiscard]] std::string Location(const PGconn* conn);

class ConnectionPool;

// One leased connection; goes back to its pool when returned or destroyed.
class Lease {
 public:
  Lease() = default;
  Lease(ConnectionPool* pool, PGconn* conn, bool reused) noexcept
      : pool_(pool), conn_(conn), reused_(reused) {}
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { Return(); }

  [[nodiscard]] PGconn* get() const noexcept { return conn_; }
  // True for a connection that sat idle in the pool, which may have died meanwhile.
  [[nodiscard]] bool reused() const noexcept { return reused_; }

  // Gives the connection back: kept if it is healthy and outside any transaction, closed
  // otherwise (a broken socket, or a transaction left open by a failed BEGIN/ROLLBACK).
  void Return() noexcept;

 private:
  ConnectionPool* pool_ = nullptr;
  PGconn* conn_ = nullptr;
  bool reused_ = false;
};

class ConnectionPool {
 public:
  // `logger` may be null; server notices and warnings go to it, never to stderr.
  ConnectionPool(PoolOptions options, std::shared_ptr<Logger> logger);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, else a new one while fewer than pool_size are open, else waits.
  // Errors: kUnavailable for a server that refuses the new connection, or when none is
  // free within pool_timeout_ms.
  [[nodiscard]] Result<Lease> Acquire();

  [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }

 private:
  friend class Lease;

  [[nodiscard]] Result<PGconn*> Connect() const;
  void Return(PGconn* conn) noexcept;
  // Undoes the ++open_ of a connection that could not be made.
  void GiveBackSlot() noexcept;

  const PoolOptions options_;
  const std::shared_ptr<Logger> logger_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<PGconn*> idle_;  // guarded by mu_; capacity pool_size, so Return never allocates
  int open_ = 0;               // guarded by mu_; idle plus leased connections
};

}  // namespace codeyard::postgres
