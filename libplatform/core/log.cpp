#include "codeyard/log.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/json_text.hpp"

namespace codeyard {
namespace {

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void AppendValue(std::string& out, const LogField::Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    AppendJsonString(out, *s);
  } else if (const auto* n = std::get_if<int64_t>(&value)) {
    out += std::to_string(*n);
  } else if (const auto* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", *d);
      out += buf;
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
      }) {}

Logger::Logger(LogLevel level, Sink sink) : level_(level), sink_(std::move(sink)) {}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(96 + msg.size());
  line += "{\"ts\":\"";
  line += Timestamp();
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
  std::lock_guard lock(mu_);
  sink_(line);
}

std::shared_ptr<Logger> NullLogger() {
  static const std::shared_ptr<Logger> logger =
      std::make_shared<Logger>(LogLevel::kOff, [](std::string_view) {});
  return logger;
}

}  // namespace codeyard
