// Structured logging. Each record is one JSON object on one line:
//   {"ts":"2026-11-22T05:17:00.123Z","level":"info","msg":"server started","port":8080}
// Records below the logger's level are dropped before any formatting. The sink (stderr by
// default) is injectable so that tests and embedding apps can capture records. A Logger is
// safe to use from any number of threads; records are never interleaved. Records logged with
// LogDeferred may wait for a Flush, to be written in one go; order is kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "codeyard/error.hpp"

namespace codeyard {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error", "off".
[[nodiscard]] Result<LogLevel> ParseLogLevel(std::string_view text);
[[nodiscard]] std::string_view LogLevelName(LogLevel level) noexcept;

// One key/value pair of a record. Keys must not be "ts", "level" or "msg".
struct LogField {
  using Value = std::variant<std::string, int64_t, double, bool>;

  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) LogField(std::string_view k, I v)
      : key(k), value(static_cast<int64_t>(v)) {}

  std::string key;
  Value value;
};

class Logger {
 public:
  // Receives one finished line (without the trailing newline).
  using Sink = std::function<void(std::string_view line)>;

  // Writes to stderr.
  explicit Logger(LogLevel level = LogLevel::kInfo);
  Logger(LogLevel level, Sink sink);
  ~Logger();  // writes the records still waiting (LogDeferred)
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level) noexcept { level_.store(level); }
  [[nodiscard]] LogLevel level() const noexcept { return level_.load(); }
  [[nodiscard]] bool Enabled(LogLevel level) const noexcept {
    return level >= level_.load() && level != LogLevel::kOff;
  }

  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }

  // Like Log, but the record may wait in memory until Flush(), until another record is
  // logged without waiting (the waiting ones go first), or until 64 KiB wait; so a burst goes
  // out in one write instead of one per record. For a loop that logs a record per event and
  // flushes once per turn (the HTTP server's access lines). Records keep the order in which
  // they were logged; a crash loses what waits.
  void LogDeferred(LogLevel level, std::string_view msg,
                   std::initializer_list<LogField> fields = {});
  void Flush();

 private:
  [[nodiscard]] std::string Format(LogLevel level, std::string_view msg,
                                   std::initializer_list<LogField> fields) const;
  void WriteHeldLocked();

  std::atomic<LogLevel> level_;
  Sink sink_;
  // Writes text of one or more whole lines, each ending in '\n' (the stderr logger); without
  // it, waiting records go to sink_ one line at a time.
  std::function<void(std::string_view text)> write_lines_;
  std::mutex mu_;
  std::string held_;  // guarded by mu_: waiting records, each line ending in '\n'
};

// A logger that drops everything, for callers that were given none.
[[nodiscard]] std::shared_ptr<Logger> NullLogger();

}  // namespace codeyard
