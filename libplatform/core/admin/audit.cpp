// The audit log's public helpers (codeyard/audit.hpp): the thread's AuditScope and the CSV
// export.
#include "codeyard/audit.hpp"

namespace codeyard {
namespace {

thread_local const AuditContext* current_scope = nullptr;

void AppendCsvField(std::string& out, std::string_view field) {
  // A leading formula character is neutralized (CSV injection), then the field is quoted
  // when it needs to be.
  std::string value;
  if (!field.empty() && (field.front() == '=' || field.front() == '+' || field.front() == '-' ||
                         field.front() == '@' || field.front() == '\t' || field.front() == '\r')) {
    value = "'";
  }
  value += field;
  if (value.find_first_of(",\"\r\n") == std::string::npos) {
    out += value;
    return;
  }
  out += '"';
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

AuditScope::AuditScope(AuditContext context) noexcept
    : context_(std::move(context)), outer_(current_scope) {
  current_scope = &context_;
}

AuditScope::~AuditScope() { current_scope = outer_; }

const AuditContext* AuditScope::Current() noexcept { return current_scope; }

std::string AuditCsv(const std::vector<AuditEntry>& entries) {
  std::string out = "id,ts,actor_id,action,target,source,request_id,detail\r\n";
  for (const AuditEntry& e : entries) {
    out += std::to_string(e.id);
    out += ',';
    out += std::to_string(e.ts);
    out += ',';
    AppendCsvField(out, e.actor_id.value_or(""));
    out += ',';
    AppendCsvField(out, e.action);
    out += ',';
    AppendCsvField(out, e.target);
    out += ',';
    AppendCsvField(out, e.source);
    out += ',';
    AppendCsvField(out, e.request_id);
    out += ',';
    AppendCsvField(out, e.detail);
    out += "\r\n";
  }
  return out;
}

}  // namespace codeyard
