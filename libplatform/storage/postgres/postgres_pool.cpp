#include "storage/postgres/postgres_pool.hpp"

#include <charconv>
#include <chrono>
#include <utility>

#include "codeyard/backend/registry.hpp"
#include "storage/postgres/postgres_wire.hpp"

namespace codeyard::postgres {
namespace {

constexpr int kMaxPoolSize = 256;
constexpr int kMaxPoolTimeoutMs = 3'600'000;

// Parses all of `text` as an integer in [min, max].
bool ParseInt(std::string_view text, int min, int max, int* out) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int high = text[i] == '%' && i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
    const int low = high >= 0 ? HexDigit(text[i + 2]) : -1;
    if (low >= 0) {
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void AddSecret(std::string_view secret, std::vector<std::string>* secrets) {
  if (secret.empty()) return;
  secrets->emplace_back(secret);
  std::string decoded = PercentDecode(secret);
  if (decoded != secret) secrets->push_back(std::move(decoded));
}

// libpq quotes the whole URI in some parse errors, password included; every message that
// carries libpq's text goes through this.
std::string Scrub(std::string message, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (std::size_t at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + 3)) {
      message.replace(at, secret.size(), "***");
    }
  }
  return message;
}

// The password of "scheme://user:password@host/...", if any.
std::string_view UserinfoPassword(std::string_view uri) {
  const std::size_t authority = uri.find("://");
  if (authority == std::string_view::npos) return {};
  std::string_view rest = uri.substr(authority + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  const std::size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return {};
  const std::string_view userinfo = rest.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
}

// Routes server NOTICE/WARNING messages to our logger; libpq's default prints to stderr.
void OnNotice(void* arg, const PGresult* result) {
  auto* logger = static_cast<Logger*>(arg);
  if (logger == nullptr) return;
  // An exception must not unwind through libpq's C frames.
  try {
    const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char* message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const std::string_view level = severity != nullptr ? severity : "NOTICE";
    logger->Log(level == "WARNING" ? LogLevel::kWarn : LogLevel::kDebug, "postgres notice",
                {{"severity", level}, {"message", message != nullptr ? message : ""}});
  } catch (...) {  // NOLINT(bugprone-empty-catch): a lost notice is harmless
  }
}

}  // namespace

Result<PoolOptions> ParsePoolOptions(std::string_view uri) {
  if (!uri.starts_with("postgres://") && !uri.starts_with("postgresql://")) {
    return Fail(
        Error::Code::kInvalidArgument,
        "postgres: the URI must start with postgres:// or postgresql://: " + RedactUri(uri));
  }
  PoolOptions options;
  AddSecret(UserinfoPassword(uri), &options.secrets);
  const std::size_t query_start = uri.find('?');
  options.conninfo = uri.substr(0, query_start);
  if (query_start != std::string_view::npos) {
    std::string_view query = uri.substr(query_start + 1);
    char separator = '?';
    while (!query.empty()) {
      const std::size_t end = query.find('&');
      const std::string_view param = query.substr(0, end);
      query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
      if (param.empty()) continue;
      const std::size_t equals = param.find('=');
      const std::string_view key = param.substr(0, equals);
      const std::string_view value =
          equals == std::string_view::npos ? std::string_view() : param.substr(equals + 1);
      if (key == "pool_size") {
        if (!ParseInt(value, 1, kMaxPoolSize, &options.pool_size)) {
          return Fail(Error::Code::kInvalidArgument,
                      "postgres: pool_size must be an integer from 1 to 256, got \"" +
                          std::string(value) + "\"");
        }
      } else if (key == "pool_timeout_ms") {
        if (!ParseInt(value, 0, kMaxPoolTimeoutMs, &options.pool_timeout_ms)) {
          return Fail(Error::Code::kInvalidArgument,
                      "postgres: pool_timeout_ms must be an integer from 0 to 3600000, got \"" +
                          std::string(value) + "\"");
        }
      } else {
        if (key == "password") AddSecret(value, &options.secrets);
        options.conninfo += separator;
        options.conninfo += param;
        separator = '&';
      }
    }
  }
  // Parsed now so a malformed URI is a configuration error, not a connection failure.
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.conninfo.c_str(), &error);
  if (parsed == nullptr) {
    const std::string reason = error != nullptr ? OneLine(error) : "out of memory";
    PQfreemem(error);
    return Fail(Error::Code::kInvalidArgument,
                Scrub("postgres: invalid URI " + RedactUri(uri) + ": " + reason, options.secrets));
  }
  PQconninfoFree(parsed);
  return options;
}

std::string Location(const PGconn* conn) {
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  const char* db = PQdb(conn);
  return std::string(host != nullptr ? host : "") + ":" + (port != nullptr ? port : "") + "/" +
         (db != nullptr ? db : "");
}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::exchange(other.conn_, nullptr)), reused_(other.reused_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = other.pool_;
    conn_ = std::exchange(other.conn_, nullptr);
    reused_ = other.reused_;
  }
  return *this;
}

void Lease::Return() noexcept {
  if (conn_ != nullptr) pool_->Return(std::exchange(conn_, nullptr));
}

ConnectionPool::ConnectionPool(PoolOptions options, std::shared_ptr<Logger> logger)
    : options_(std::move(options)), logger_(std::move(logger)) {
  idle_.reserve(static_cast<std::size_t>(options_.pool_size));
}

ConnectionPool::~ConnectionPool() {
  for (PGconn* conn : idle_) PQfinish(conn);
}

Result<Lease> ConnectionPool::Acquire() {
  // Real steady time, not the injected Clock: a condition variable waits on the real clock,
  // and a ManualClock would make this wait forever.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.pool_timeout_ms);
  std::unique_lock lock(mu_);
  while (idle_.empty() && open_ >= options_.pool_size) {
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      return Fail(Error::Code::kUnavailable,
                  "postgres: no free connection in the pool after " +
                      std::to_string(options_.pool_timeout_ms) +
                      " ms (pool_size=" + std::to_string(options_.pool_size) + ")");
    }
  }
  if (!idle_.empty()) {
    PGconn* conn = idle_.back();  // the most recently used: its socket is the least stale
    idle_.pop_back();
    return Lease(this, conn, /*reused=*/true);
  }
  // Reserve the slot, then connect without the lock: connecting takes a round trip or more.
  ++open_;
  lock.unlock();
  try {
    Result<PGconn*> conn = Connect();
    if (conn) return Lease(this, *conn, /*reused=*/false);
    GiveBackSlot();
    return std::unexpected(std::move(conn).error());
  } catch (...) {  // bad_alloc: the slot must not leak with it
    GiveBackSlot();
    throw;
  }
}

void ConnectionPool::GiveBackSlot() noexcept {
  {
    const std::lock_guard lock(mu_);
    --open_;
  }
  freed_.notify_one();  // a waiter may try a connection of its own
}

Result<PGconn*> ConnectionPool::Connect() const {
  // libpq applies keywords in order and the URI is expanded where "dbname" stands: the URI
  // overrides the defaults before it, and cannot override the UTF-8 that our Values assume.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  "client_encoding", nullptr};
  const char* const values[] = {"5", "codeyard", options_.conninfo.c_str(), "UTF8", nullptr};
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
      PQconnectdbParams(keywords, values, /*expand_dbname=*/1), &PQfinish);
  if (conn == nullptr) {
    return Fail(Error::Code::kResourceExhausted, "postgres: out of memory for a connection");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Fail(Error::Code::kUnavailable,
                Scrub("postgres: cannot connect to " + Location(conn.get()) + ": " +
                          OneLine(PQerrorMessage(conn.get())),
                      options_.secrets));
  }
  PQsetNoticeReceiver(conn.get(), &OnNotice, logger_.get());
  return conn.release();
}

void ConnectionPool::Return(PGconn* conn) noexcept {
  const bool healthy = PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
  if (!healthy) PQfinish(conn);  // outside the lock: it may write a Terminate message
  {
    const std::lock_guard lock(mu_);
    if (healthy) {
      idle_.push_back(conn);
    } else {
      --open_;
    }
  }
  freed_.notify_one();
}

}  // namespace codeyard::postgres
