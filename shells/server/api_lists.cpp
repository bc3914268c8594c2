#include "api_lists.hpp"

#include <charconv>

#include "http_errors.hpp"

namespace codeyard::server {

Result<PageRequest> PageFrom(const Request& request) {
  PageRequest page;
  if (const auto limit = request.Query("limit")) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > kMaxPageLimit) {
      return Fail(Error::Code::kInvalidArgument,
                  "limit must be an integer from 1 to " + std::to_string(kMaxPageLimit));
    }
    page.limit = n;
  }
  if (const auto cursor = request.Query("cursor")) page.cursor = std::string(*cursor);
  return page;
}

boost::json::object PageJson(boost::json::array items,
                             const std::optional<std::string>& next_cursor) {
  boost::json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = next_cursor ? boost::json::value(*next_cursor) : boost::json::value(nullptr);
  return out;
}

boost::json::object SyncSkipJson(const SyncSkip& skip) {
  // A refused path may not be UTF-8 (that can be why it was refused): U+FFFD keeps the JSON
  // valid, and the reason carries the escaped bytes.
  return {{"path", ValidUtf8(skip.path)}, {"reason", ValidUtf8(skip.reason)}, {"rule", skip.rule}};
}

namespace {

boost::json::array SkipsJson(const std::vector<SyncSkip>& skips) {
  boost::json::array out;
  for (const SyncSkip& skip : skips) out.push_back(SyncSkipJson(skip));
  return out;
}

}  // namespace

boost::json::object SyncReportJson(const SyncReport& report) {
  boost::json::array conflicts;
  for (const SyncConflict& c : report.conflicts) {
    conflicts.push_back(
        {{"path", ValidUtf8(c.path)}, {"conflict_path", ValidUtf8(c.conflict_path)}});
  }
  return {{"pushed", report.pushed},
          {"pulled", report.pulled},
          {"deleted_in_pod", report.deleted_in_pod},
          {"deleted_in_storage", report.deleted_in_storage},
          {"conflicts", std::move(conflicts)},
          {"skipped", SkipsJson(report.skipped)},
          {"skipped_total", report.skipped_total},
          {"unstored", report.unstored}};
}

boost::json::object SyncStatusJson(const SyncStatus& status) {
  return {{"last_pass_at", status.last_pass_at ? boost::json::value(*status.last_pass_at)
                                               : boost::json::value(nullptr)},
          {"ok", status.ok},
          {"error",
           status.ok ? boost::json::value(nullptr) : boost::json::value(ValidUtf8(status.error))},
          {"skipped", SkipsJson(status.skipped)},
          {"skipped_total", status.skipped_total},
          {"unstored", status.unstored}};
}

}  // namespace codeyard::server
