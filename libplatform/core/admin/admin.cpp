// Administration (codeyard/admin.hpp): the admin check, users, workspaces, the audit log and
// the background heartbeat and retention sweep. Jobs, replicas and health are in admin_ops.cpp.
#include "codeyard/admin.hpp"

#include "core/admin/admin_impl.hpp"
#include "core/store/audit.hpp"
#include "core/store/pods.hpp"
#include "core/store/refresh_tokens.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "core/store/workspaces.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

Result<int> PageLimit(const PageRequest& page, int64_t max) {
  if (page.limit < 1 || page.limit > max) {
    return Fail(Error::Code::kInvalidArgument, "admin: limit must be 1-" + std::to_string(max) +
                                                   ", got " + std::to_string(page.limit));
  }
  return static_cast<int>(page.limit);
}

// Permission refusals of the calls Admin delegates (a caller demoted meanwhile) read as the
// admin check's own: not found.
Error Hidden(Error error) {
  if (error.code() == Error::Code::kPermissionDenied) return AdminNotFound();
  return error;
}

}  // namespace

Error AdminNotFound() { return {Error::Code::kNotFound, "not found"}; }

AdminOptions AdminOptionsFrom(const Config& config) {
  AdminOptions o;
  o.replica_id = config.replica_id;
  o.retention_days = static_cast<int>(config.audit_retention_days);
  o.prune_after = std::chrono::seconds(config.replicas_prune_after_s);  // org20
  return o;
}

Admin::Admin(std::shared_ptr<Platform> platform, std::shared_ptr<Accounts> accounts,
             std::shared_ptr<Workspaces> workspaces, std::shared_ptr<Jobs> jobs,
             AdminOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (options.replica_id.empty()) options.replica_id = workspaces->replica_id();
  impl_->platform = std::move(platform);
  impl_->accounts = std::move(accounts);
  impl_->workspaces = std::move(workspaces);
  impl_->jobs = std::move(jobs);
  impl_->options = std::move(options);
  impl_->started_at = impl_->platform->clock().NowMillis();
}

Admin::~Admin() {
  impl_->heartbeat.Stop();
  impl_->sweep.Stop();
}

void Admin::Start() {
  // Failures are logged and retried at the next pass: neither is worth stopping the server.
  (void)Heartbeat();
  impl_->heartbeat.Start(impl_->options.heartbeat_interval, [this](bool) {
    if (auto beat = Heartbeat(); !beat) {
      impl_->platform->logger().Warn("admin: replica heartbeat failed",
                                     {{"error", beat.error().ToString()}});
    }
  });
  impl_->sweep.Start(impl_->options.sweep_interval, [this](bool) {
    auto swept = SweepAudit();
    if (!swept) {
      impl_->platform->logger().Warn("admin: audit retention sweep failed",
                                     {{"error", swept.error().ToString()}});
    } else if (*swept && **swept > 0) {
      impl_->platform->logger().Info("admin: audit retention sweep", {{"deleted", **swept}});
    }
  });
}

const std::string& Admin::replica_id() const { return impl_->options.replica_id; }

Result<void> Admin::RequireAdmin(std::string_view acting) const {
  if (acting.empty()) return Fail(AdminNotFound());
  return store::Transact(impl_->platform->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<void> {
                           auto user = store::users::Get(tx, acting);
                           if (!user) {
                             if (user.error().code() == Error::Code::kNotFound) {
                               return Fail(AdminNotFound());
                             }
                             return Fail(user.error());
                           }
                           if (user->role != Role::kAdmin || user->disabled) {
                             return Fail(AdminNotFound());
                           }
                           return {};
                         });
}

Result<Page<User>> Admin::ListUsers(std::string_view acting, const UserQuery& query) const {
  CY_CHECK(RequireAdmin(acting));
  CY_TRY(const int limit, PageLimit(query.page, kMaxPageLimit));
  if (query.search.size() > 100) {
    return Fail(Error::Code::kInvalidArgument, "admin: search must be at most 100 bytes");
  }
  CY_TRY(std::vector<User> users,
         store::Transact(impl_->platform->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::users::Search(tx, query.search, query.page.cursor, limit + 1);
         }));
  Page<User> page;
  if (static_cast<int>(users.size()) > limit) {
    users.resize(static_cast<std::size_t>(limit));
    page.next_cursor = users.back().username;
  }
  for (User& u : users) u.password_hash.clear();
  page.items = std::move(users);
  return page;
}

Result<User> Admin::SetDisabled(std::string_view acting, std::string_view user_id, bool disabled) {
  CY_CHECK(RequireAdmin(acting));
  auto user = impl_->accounts->SetDisabled(acting, user_id, disabled);
  if (!user) return Fail(Hidden(user.error()));
  return user;
}

Result<User> Admin::SetRole(std::string_view acting, std::string_view user_id, Role role) {
  CY_CHECK(RequireAdmin(acting));
  auto user = impl_->accounts->SetRole(acting, user_id, role);
  if (!user) return Fail(Hidden(user.error()));
  return user;
}

Result<User> Admin::SetReviewerLevel(std::string_view acting, std::string_view user_id, int level) {
  CY_CHECK(RequireAdmin(acting));
  auto user = impl_->accounts->SetReviewerLevel(acting, user_id, level);
  if (!user) return Fail(Hidden(user.error()));
  return user;
}

Result<int64_t> Admin::ForceLogout(std::string_view acting, std::string_view user_id) {
  CY_CHECK(RequireAdmin(acting));
  return store::Transact(
      impl_->platform->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<int64_t> {
        CY_CHECK(store::users::Get(tx, user_id));
        const int64_t now = impl_->platform->clock().NowMillis();
        CY_TRY(const int64_t revoked, store::refresh_tokens::RevokeAllForUser(tx, user_id, now));
        CY_CHECK(store::audit::Record(tx, now, acting, audit_action::kForceLogout, user_id,
                                      "{\"revoked\":" + std::to_string(revoked) + "}"));
        return revoked;
      });
}

Result<Page<AdminWorkspace>> Admin::ListWorkspaces(std::string_view acting,
                                                   const WorkspaceQuery& query) const {
  CY_CHECK(RequireAdmin(acting));
  CY_TRY(const int limit, PageLimit(query.page, kMaxPageLimit));
  return store::Transact(
      impl_->platform->storage(), TxKind::kRead,
      [&](Transaction& tx) -> Result<Page<AdminWorkspace>> {
        std::optional<std::string_view> owner;
        if (query.owner_id) owner = *query.owner_id;
        CY_TRY(std::vector<Workspace> found,
               store::workspaces::ListAll(tx, owner, query.state, query.page.cursor, limit + 1));
        Page<AdminWorkspace> page;
        if (static_cast<int>(found.size()) > limit) {
          found.resize(static_cast<std::size_t>(limit));
          page.next_cursor = found.back().id;
        }
        for (Workspace& w : found) {
          AdminWorkspace item;
          auto owner_user = store::users::Get(tx, w.owner_id);
          if (owner_user) item.owner_username = owner_user->username;
          auto pod = store::pods::Get(tx, w.id);
          if (pod) {
            item.pod = std::move(*pod);
          } else if (pod.error().code() != Error::Code::kNotFound) {
            return Fail(pod.error());
          }
          item.workspace = std::move(w);
          page.items.push_back(std::move(item));
        }
        return page;
      });
}

Result<void> Admin::StopWorkspace(std::string_view acting, std::string_view workspace_id) {
  CY_CHECK(RequireAdmin(acting));
  CY_TRY(const Workspace ws,
         store::Transact(impl_->platform->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::workspaces::Get(tx, workspace_id);
         }));
  // The owner's own stop (its final sync, its lease), then the record: the stop itself spans
  // several transactions and a pod, so the record follows it rather than sharing one.
  CY_CHECK(impl_->workspaces->Stop(ws.owner_id, ws.id));
  return store::Transact(
      impl_->platform->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
        CY_CHECK(store::audit::Record(tx, impl_->platform->clock().NowMillis(), acting,
                                      audit_action::kWorkspaceStop, ws.id));
        return {};
      });
}

Result<Page<AuditEntry>> Admin::Audit(std::string_view acting, const AuditFilter& filter,
                                      const PageRequest& page) const {
  CY_CHECK(RequireAdmin(acting));
  CY_TRY(const int limit, PageLimit(page, kMaxAuditPage));
  std::optional<int64_t> before;
  if (!page.cursor.empty()) {
    int64_t id = 0;
    for (const char c : page.cursor) {
      if (c < '0' || c > '9' || id > (int64_t{1} << 56)) {
        return Fail(Error::Code::kInvalidArgument, "admin: cursor is not an audit record id");
      }
      id = id * 10 + (c - '0');
    }
    before = id;
  }
  CY_TRY(std::vector<AuditEntry> entries,
         store::Transact(impl_->platform->storage(), TxKind::kRead, [&](Transaction& tx) {
           return store::audit::Query(tx, filter, before, limit + 1);
         }));
  Page<AuditEntry> out;
  if (static_cast<int>(entries.size()) > limit) {
    entries.resize(static_cast<std::size_t>(limit));
    out.next_cursor = std::to_string(entries.back().id);
  }
  out.items = std::move(entries);
  return out;
}

Result<std::optional<int64_t>> Admin::SweepAudit() {
  if (impl_->options.retention_days <= 0) return std::optional<int64_t>{};
  const int64_t now = impl_->platform->clock().NowMillis();
  const int64_t cutoff = now - impl_->options.retention_days * kDayMs;
  const int64_t lease_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(impl_->options.sweep_interval).count();
  return store::Transact(impl_->platform->storage(), TxKind::kWrite, [&](Transaction& tx) {
    return store::audit::Sweep(tx, impl_->options.replica_id, now, lease_ms, cutoff);
  });
}

}  // namespace codeyard
