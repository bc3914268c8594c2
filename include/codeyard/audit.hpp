// The audit log's public side (issue 20, docs/admin.md): the actions it records, the filter of
// the admin API's query, the CSV export, and AuditScope, which tells the library who is asking
// (the request id and the client's address) so that every record appended on this thread
// carries them, whichever service writes it. Records themselves are codeyard::AuditEntry
// (records.hpp); they are written by the library in the transaction of the action they record
// and read through Admin::Audit.
//
// Threading: AuditScope is thread-confined, like SharedRead: open it on the thread that runs
// the request (the server's request worker), around the calls that may append. The functions
// are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/records.hpp"

namespace codeyard {

// The actions the library records (AuditEntry::action).
namespace audit_action {
inline constexpr std::string_view kLogin = "user.login";
inline constexpr std::string_view kLoginFailed = "user.login_failed";
inline constexpr std::string_view kLogout = "user.logout";
inline constexpr std::string_view kRole = "user.role";
inline constexpr std::string_view kReviewerLevel = "user.reviewer_level";
inline constexpr std::string_view kDisable = "user.disable";
inline constexpr std::string_view kEnable = "user.enable";
inline constexpr std::string_view kForceLogout = "user.force_logout";
inline constexpr std::string_view kWorkspaceStop = "workspace.stop";
inline constexpr std::string_view kPodCreate = "pod.create";
inline constexpr std::string_view kPodDelete = "pod.delete";
inline constexpr std::string_view kReviewDecision = "review.decision";
inline constexpr std::string_view kProblemPut = "problem.put";
inline constexpr std::string_view kProblemDelete = "problem.delete";
inline constexpr std::string_view kJobRetry = "job.retry";
inline constexpr std::string_view kJobCancel = "job.cancel";
// org20: organizations renamed or deleted, workspaces moved between organizations.
inline constexpr std::string_view kOrgRename = "org.rename";
inline constexpr std::string_view kOrgDelete = "org.delete";
inline constexpr std::string_view kWorkspaceMove = "workspace.move";
// meter20: a workspace stopped because a sample of its pod used up its owner's CPU quota.
inline constexpr std::string_view kWorkspaceQuotaStop = "workspace.quota_stop";
// org20: the operator's local `codeyard user` commands (actor "local:<unix user>").
inline constexpr std::string_view kUserCreate = "user.create";
inline constexpr std::string_view kPasswordReset = "user.password_reset";
}  // namespace audit_action

// Who is asking, for the records appended while an AuditScope is open.
struct AuditContext {
  std::string request_id;
  std::string source;  // the client's address
};

class AuditScope {
 public:
  explicit AuditScope(AuditContext context) noexcept;
  ~AuditScope();
  AuditScope(const AuditScope&) = delete;
  AuditScope& operator=(const AuditScope&) = delete;

  // The innermost scope open on this thread, or nullptr.
  [[nodiscard]] static const AuditContext* Current() noexcept;

 private:
  AuditContext context_;
  const AuditContext* outer_ = nullptr;
};

// A query of the log: every field set must match (exactly); times are milliseconds since the
// epoch, `from` inclusive and `to` exclusive.
struct AuditFilter {
  std::optional<std::string> actor;  // a user id
  std::optional<std::string> action;
  std::optional<std::string> target;
  std::optional<int64_t> from;
  std::optional<int64_t> to;
};

// RFC 4180 CSV with a header line: id,ts,actor_id,action,target,source,request_id,detail.
// Fields with a comma, quote or line break are quoted; a field starting with =, +, - or @ gets
// a leading ' so a spreadsheet does not run it as a formula.
[[nodiscard]] std::string AuditCsv(const std::vector<AuditEntry>& entries);

}  // namespace codeyard
