#include "codeyard/log.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/json_text.hpp"

namespace codeyard {
namespace {

constexpr std::size_t kMaxHeldBytes = std::size_t{64} * 1024;

// Appends the record's UTC time with milliseconds ("2026-11-22T05:17:00.123Z"). Formatting a
// date costs more than the rest of a record, so each thread keeps the last second's text.
void AppendTimestamp(std::string& out) {
  thread_local std::time_t cached_secs = -1;
  thread_local std::array<char, 20> cached{};  // "2026-11-22T05:17:00."
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::memcpy(cached.data(), buf, cached.size());
    cached_secs = secs;
  }
  out.append(cached.data(), cached.size());
  const auto milli = static_cast<int>(ms % 1000);
  out.push_back(static_cast<char>('0' + milli / 100));
  out.push_back(static_cast<char>('0' + milli / 10 % 10));
  out.push_back(static_cast<char>('0' + milli % 10));
  out.push_back('Z');
}

void AppendValue(std::string& out, const LogField::Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    AppendJsonString(out, *s);
  } else if (const auto* n = std::get_if<int64_t>(&value)) {
    out += std::to_string(*n);
  } else if (const auto* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d)) {
      char buf[32];  // as printf's %.6g
      const auto res = std::to_chars(buf, buf + sizeof buf, *d, std::chars_format::general, 6);
      out.append(buf, res.ptr);
    } else {
      out += "null";
    }
  } else {
    out += std::get<bool>(value) ? "true" : "false";
  }
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  if (text == "off") return LogLevel::kOff;
  return Fail(Error::Code::kInvalidArgument, "unknown log level \"" + std::string(text) +
                                                 "\" (use debug, info, warn, error, off)");
}

std::string_view LogLevelName(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "off";
}

Logger::Logger(LogLevel level)
    : Logger(level, [](std::string_view line) {
        // One fwrite per record keeps lines whole even when other code writes to stderr.
        std::string buf(line);
        buf.push_back('\n');
        std::fwrite(buf.data(), 1, buf.size(), stderr);
      }) {
  write_lines_ = [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); };
}

Logger::Logger(LogLevel level, Sink sink) : level_(level), sink_(std::move(sink)) {}

Logger::~Logger() { Flush(); }

std::string Logger::Format(LogLevel level, std::string_view msg,
                           std::initializer_list<LogField> fields) const {
  std::string line;
  line.reserve(96 + msg.size());
  line += "{\"ts\":\"";
  AppendTimestamp(line);
  line += "\",\"level\":\"";
  line += LogLevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(line, msg);
  for (const LogField& f : fields) {
    line.push_back(',');
    AppendJsonString(line, f.key);
    line.push_back(':');
    AppendValue(line, f.value);
  }
  line.push_back('}');
  return line;
}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  const std::string line = Format(level, msg, fields);
  std::lock_guard lock(mu_);
  WriteHeldLocked();  // records logged earlier come first
  sink_(line);
}

void Logger::LogDeferred(LogLevel level, std::string_view msg,
                         std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  const std::string line = Format(level, msg, fields);
  std::lock_guard lock(mu_);
  held_ += line;
  held_.push_back('\n');
  if (held_.size() >= kMaxHeldBytes) WriteHeldLocked();
}

void Logger::Flush() {
  std::lock_guard lock(mu_);
  WriteHeldLocked();
}

void Logger::WriteHeldLocked() {
  if (held_.empty()) return;
  if (write_lines_) {
    write_lines_(held_);
  } else {
    std::string_view rest = held_;
    while (!rest.empty()) {  // records never hold a raw newline: JSON escapes it
      const std::size_t end = rest.find('\n');
      sink_(rest.substr(0, end));
      rest.remove_prefix(end + 1);
    }
  }
  held_.clear();
}

std::shared_ptr<Logger> NullLogger() {
  static const std::shared_ptr<Logger> logger =
      std::make_shared<Logger>(LogLevel::kOff, [](std::string_view) {});
  return logger;
}

}  // namespace codeyard
