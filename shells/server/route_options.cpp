#include "route_options.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>

namespace codeyard::server {
namespace {

// Usernames, passwords and tokens: far below this.
constexpr int64_t kAuthBodyBytes = int64_t{8} << 10;
// Only server.max_body_bytes caps these (files, stdin, program sources).
constexpr int64_t kLargeBodyBytes = std::numeric_limits<int64_t>::max();

struct Entry {
  Method method;
  std::string_view pattern;
  RouteOptions options;
};

constexpr RouteOptions Quick(int64_t max_body_bytes) { return {Work::kQuick, max_body_bytes}; }
constexpr RouteOptions Long(int64_t max_body_bytes) { return {Work::kLong, max_body_bytes}; }
constexpr RouteOptions Streamed() { return {Work::kLong, kLargeBodyBytes, true}; }

constexpr int64_t kDefault = RouteOptions::kDefaultMaxBodyBytes;

constexpr std::string_view kPortPattern = "/api/v1/workspaces/{id}/ports/{port}/{path**}";
constexpr std::string_view kPreviewPattern = "/api/v1/previews/{ticket}/{path**}";

// The SQLite backend's reader connections without a "readers" parameter (sqlite_storage.hpp).
constexpr int kSqliteDefaultReaders = 4;

constexpr Entry kTable[] = {
    {Method::kGet, "/api/v1/health", {Work::kInline, kDefault}},
    {Method::kGet, "/api/v1/languages", {Work::kInline, kDefault}},  // a constant answer
    // Storage reads only (a file, a page of the tree): inline where storage is local SQLite.
    {Method::kGet, "/api/v1/workspaces/{id}/files/{path...}", {Work::kRead, kDefault}},
    {Method::kGet, "/api/v1/workspaces/{id}/tree", {Work::kRead, kDefault}},
    {Method::kPost, "/api/v1/auth/register", Quick(kAuthBodyBytes)},
    {Method::kPost, "/api/v1/auth/login", Quick(kAuthBodyBytes)},
    {Method::kPost, "/api/v1/auth/refresh", Quick(kAuthBodyBytes)},
    {Method::kPost, "/api/v1/auth/logout", Quick(kAuthBodyBytes)},
    {Method::kPatch, "/api/v1/me", Quick(kAuthBodyBytes)},
    {Method::kPut, "/api/v1/workspaces/{id}/files/{path...}", Quick(kLargeBodyBytes)},
    // Starting, stopping and deleting a workspace start or stop its pod and sync it.
    {Method::kPost, "/api/v1/workspaces/{id}/start", Long(kDefault)},
    {Method::kPost, "/api/v1/workspaces/{id}/stop", Long(kDefault)},
    {Method::kDelete, "/api/v1/workspaces/{id}", Long(kDefault)},
    {Method::kPost, "/api/v1/workspaces/{id}/exec", Long(kLargeBodyBytes)},
    {Method::kPost, "/api/v1/run", Long(kLargeBodyBytes)},
    // Jobs: submissions are one short write (quick); a read may wait up to 30 s for the result.
    {Method::kPost, "/api/v1/jobs", Quick(kLargeBodyBytes)},
    {Method::kPost, "/api/v1/jobs/batch", Quick(kLargeBodyBytes)},
    {Method::kGet, "/api/v1/jobs/{id}", Long(kDefault)},
    // Submissions: as jobs (a submission's files are program sources).
    {Method::kPost, "/api/v1/problems/{id}/submissions", Quick(kLargeBodyBytes)},
    {Method::kGet, "/api/v1/submissions/{id}", Long(kDefault)},
    // Admin problem writes carry every test's data; an import also unzips and parses a
    // package (bounded by problems.max_package_*), so it is long work.
    {Method::kPost, "/api/v1/problems", Quick(kLargeBodyBytes)},
    {Method::kPut, "/api/v1/problems/{id}", Quick(kLargeBodyBytes)},
    {Method::kPost, "/api/v1/admin/problems/import", Long(kLargeBodyBytes)},
    // A submission and a resubmission snapshot the whole workspace; a diff reads and compares
    // two of them (bounded per file, not per review).
    {Method::kPost, "/api/v1/reviews", Long(kDefault)},
    {Method::kPost, "/api/v1/reviews/{id}/resubmit", Long(kDefault)},
    {Method::kGet, "/api/v1/reviews/{id}/diff", Long(kDefault)},
    // Files in and out: a zip is made while it is sent, its worker held to the last byte.
    {Method::kGet, "/api/v1/workspaces/{id}/archive", Long(kDefault)},
    {Method::kGet, "/api/v1/downloads/{token}", Long(kDefault)},
    // The preview relay waits on a program in a pod (relay.timeout_s) and passes its bodies on
    // as they come, both ways (ports.max_request_body_bytes caps an upload).
    {Method::kGet, kPortPattern, Streamed()},
    {Method::kPost, kPortPattern, Streamed()},
    {Method::kPut, kPortPattern, Streamed()},
    {Method::kPatch, kPortPattern, Streamed()},
    {Method::kDelete, kPortPattern, Streamed()},
    {Method::kOptions, kPortPattern, Streamed()},
    {Method::kGet, kPreviewPattern, Streamed()},
    {Method::kPost, kPreviewPattern, Streamed()},
    {Method::kPut, kPreviewPattern, Streamed()},
    {Method::kPatch, kPreviewPattern, Streamed()},
    {Method::kDelete, kPreviewPattern, Streamed()},
    {Method::kOptions, kPreviewPattern, Streamed()},
    // A search reads up to search.max_scan_bytes of files: not on a quick worker.
    {Method::kGet, "/api/v1/workspaces/{id}/search", Long(kDefault)},
    // admin20: an admin's stop waits on the pod like the owner's.
    {Method::kPost, "/api/v1/admin/workspaces/{id}/stop", Long(kDefault)},
};

}  // namespace

Result<void> ApplyRouteOptions(Router& router) {
  for (const Entry& entry : kTable) {
    if (auto set = router.SetOptions(entry.method, entry.pattern, entry.options); !set) {
      return Fail(set.error().WithContext("route_options.cpp"));
    }
  }
  return {};
}

int InlineReaders(const StorageInfo& storage, std::string_view storage_uri) {
  if (storage.backend != "sqlite" || storage.location == ":memory:") return 0;
  int readers = kSqliteDefaultReaders;
  const std::size_t query = storage_uri.find('?');
  // The query's parameters, '&'-separated; the SQLite backend refused malformed ones already.
  std::string_view rest =
      query == std::string_view::npos ? std::string_view() : storage_uri.substr(query + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.starts_with("readers=")) {
      const std::string_view value = pair.substr(sizeof("readers=") - 1);
      int n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      readers = ec == std::errc() && end == value.data() + value.size() ? n : 0;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return readers;
}

}  // namespace codeyard::server
