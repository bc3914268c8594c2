// Organizations over HTTP (codeyard/orgs.hpp, docs/organizations.md): GET and POST
// /api/v1/orgs, GET /api/v1/orgs/{id} (the caller's role, the quotas and the usage against
// them), the members (GET, POST, PATCH and DELETE /api/v1/orgs/{id}/members[/{user}]) and PUT
// /api/v1/orgs/{id}/quotas. `{id}` is an organization's id or slug; `{user}` a user's id or
// username. The handlers check JSON types and refuse unknown fields; the library decides.
#include <array>

#include "api.hpp"
#include "api_json.hpp"
#include "codeyard/orgs.hpp"

namespace codeyard::server {
namespace {

using Code = Error::Code;

constexpr std::array<std::string_view, 5> kQuotaFields = {
    "max_running_workspaces", "max_stored_bytes", "max_jobs_per_day", "max_cpu_seconds_per_day",
    "max_open_claims"};

std::string OrgOf(const Request& r) { return std::string(r.Param("id").value_or("")); }

boost::json::value Limit(const std::optional<int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::object QuotasJson(const OrgQuotas& q) {
  return {{"max_running_workspaces", Limit(q.max_running_workspaces)},
          {"max_stored_bytes", Limit(q.max_stored_bytes)},
          {"max_jobs_per_day", Limit(q.max_jobs_per_day)},
          {"max_cpu_seconds_per_day", Limit(q.max_cpu_seconds_per_day)},
          {"max_open_claims", Limit(q.max_open_claims)}};
}

boost::json::object UsageJson(const OrgUsage& u) {
  return {{"running_workspaces", u.running_workspaces},
          {"stored_bytes", u.stored_bytes},
          {"jobs_today", u.jobs_today},
          {"open_claims", u.open_claims}};
}

boost::json::object OrgJson(const Org& o) {
  return {{"id", o.id},
          {"name", o.name},
          {"slug", o.slug},
          {"personal", o.personal_of.has_value()},
          {"created_at", o.created_at},
          {"updated_at", o.updated_at},
          {"version", o.version},
          {"quotas", {{"org", QuotasJson(o.org_quotas)}, {"member", QuotasJson(o.member_quotas)}}}};
}

boost::json::object ViewJson(const OrgView& v) {
  boost::json::object out = OrgJson(v.org);
  out["role"] = OrgRoleName(v.role);
  out["usage"] = {{"org", UsageJson(v.usage)}, {"me", UsageJson(v.my_usage)}};
  return out;
}

boost::json::object MemberJson(const OrgMemberView& m) {
  return {{"user_id", m.member.user_id},
          {"username", m.username},
          {"display_name", m.display_name},
          {"role", OrgRoleName(m.member.role)},
          {"created_at", m.member.created_at}};
}

Result<void> OnlyFields(const boost::json::object& body,
                        std::initializer_list<std::string_view> known, std::string_view what) {
  for (const auto& field : body) {
    if (std::find(known.begin(), known.end(), std::string_view(field.key())) == known.end()) {
      return Fail(Code::kInvalidArgument,
                  "unknown field '" + std::string(field.key()) + "' in " + std::string(what));
    }
  }
  return {};
}

Result<OrgRole> RoleField(const boost::json::object& body) {
  auto role = StringField(body, "role");
  if (!role) return Fail(role.error());
  return ParseOrgRole(*role);
}

// One quota set: each field a whole number or null (unlimited); an absent field is unlimited.
Result<OrgQuotas> QuotasOf(const boost::json::object& body, std::string_view which) {
  OrgQuotas q;
  std::optional<int64_t>* slots[] = {&q.max_running_workspaces, &q.max_stored_bytes,
                                     &q.max_jobs_per_day, &q.max_cpu_seconds_per_day,
                                     &q.max_open_claims};
  for (const auto& field : body) {
    const auto it =
        std::find(kQuotaFields.begin(), kQuotaFields.end(), std::string_view(field.key()));
    if (it == kQuotaFields.end()) {
      return Fail(Code::kInvalidArgument, "unknown quota '" + std::string(field.key()) + "' in '" +
                                              std::string(which) + "'");
    }
    const boost::json::value& v = field.value();
    auto& slot = *slots[it - kQuotaFields.begin()];
    if (v.is_null()) continue;
    if (v.is_int64()) {
      slot = v.as_int64();
    } else if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      slot = static_cast<int64_t>(v.as_uint64());
    } else {
      return Fail(Code::kInvalidArgument, "quota '" + std::string(which) + "." +
                                              std::string(field.key()) +
                                              "' must be a whole number or null (unlimited)");
    }
  }
  return q;
}

Result<OrgQuotas> QuotaSet(const boost::json::object& body, std::string_view which) {
  const auto* set = body.if_contains(which);
  if (set == nullptr || set->is_null()) return OrgQuotas{};
  if (!set->is_object()) {
    return Fail(Code::kInvalidArgument, "field '" + std::string(which) + "' must be an object");
  }
  return QuotasOf(set->as_object(), which);
}

// The answer to a change of the organization (its quotas, its name): the organization as GET
// shows it. A stale If-Match (`conditional`) is 412, as for every other route.
Result<Response> ChangedOrg(Services& services, const std::string& user, const Result<Org>& changed,
                            bool conditional) {
  if (!changed && changed.error().code() == Code::kConflict && conditional) {
    return Fail(Code::kFailedPrecondition, changed.error().message());
  }
  if (!changed) return Fail(changed.error());
  auto view = services.orgs->Get(user, changed->id);
  if (!view) return Fail(view.error());
  return JsonResponse(200, ViewJson(*view));
}

}  // namespace

void AddOrgRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/orgs",
             Authed(services.accounts,
                    [&services](const Request&, const std::string& user) -> Result<Response> {
                      auto mine = services.orgs->ListMine(user);
                      if (!mine) return Fail(mine.error());
                      boost::json::array items;
                      for (const OrgView& v : *mine) items.push_back(ViewJson(v));
                      return JsonResponse(200, boost::json::object{{"orgs", std::move(items)}});
                    }));
  router.Add(Method::kPost, "/api/v1/orgs",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      if (auto ok = OnlyFields(*body, {"name", "slug"}, "an organization"); !ok) {
                        return Fail(ok.error());
                      }
                      auto name = StringField(*body, "name");
                      if (!name) return Fail(name.error());
                      auto slug = StringField(*body, "slug");
                      if (!slug) return Fail(slug.error());
                      auto made = services.orgs->Create(user, *name, *slug);
                      if (!made) return Fail(made.error());
                      auto view = services.orgs->Get(user, made->id);
                      if (!view) return Fail(view.error());
                      return JsonResponse(201, ViewJson(*view));
                    }));
  router.Add(Method::kGet, "/api/v1/orgs/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto view = services.orgs->Get(user, OrgOf(r));
                      if (!view) return Fail(view.error());
                      return JsonResponse(200, ViewJson(*view));
                    }));
  router.Add(Method::kGet, "/api/v1/orgs/{id}/members",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto members = services.orgs->Members(user, OrgOf(r));
                      if (!members) return Fail(members.error());
                      boost::json::array items;
                      for (const OrgMemberView& m : *members) items.push_back(MemberJson(m));
                      return JsonResponse(200, boost::json::object{{"members", std::move(items)}});
                    }));
  router.Add(Method::kPost, "/api/v1/orgs/{id}/members",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      if (auto ok = OnlyFields(*body, {"user", "role"}, "a member"); !ok) {
                        return Fail(ok.error());
                      }
                      auto who = StringField(*body, "user");
                      if (!who) return Fail(who.error());
                      auto role = RoleField(*body);
                      if (!role) return Fail(role.error());
                      auto added = services.orgs->AddMember(user, OrgOf(r), *who, *role);
                      if (!added) return Fail(added.error());
                      return JsonResponse(201, MemberJson(*added));
                    }));
  router.Add(Method::kPatch, "/api/v1/orgs/{id}/members/{user}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      if (auto ok = OnlyFields(*body, {"role"}, "a member change"); !ok) {
                        return Fail(ok.error());
                      }
                      auto role = RoleField(*body);
                      if (!role) return Fail(role.error());
                      const std::string target(r.Param("user").value_or(""));
                      auto changed = services.orgs->SetRole(user, OrgOf(r), target, *role);
                      if (!changed) return Fail(changed.error());
                      return JsonResponse(200, MemberJson(*changed));
                    }));
  router.Add(Method::kDelete, "/api/v1/orgs/{id}/members/{user}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      const std::string target(r.Param("user").value_or(""));
                      auto removed = services.orgs->RemoveMember(user, OrgOf(r), target);
                      if (!removed) return Fail(removed.error());
                      return NoContent();
                    }));
  // org20: rename, delete, move a workspace.
  router.Add(Method::kPatch, "/api/v1/orgs/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      if (auto ok = OnlyFields(*body, {"name", "slug"}, "a rename"); !ok) {
                        return Fail(ok.error());
                      }
                      auto name = OptionalString(*body, "name");
                      if (!name) return Fail(name.error());
                      auto slug = OptionalString(*body, "slug");
                      if (!slug) return Fail(slug.error());
                      auto expected = IfMatchVersion(r);
                      if (!expected) return Fail(expected.error());
                      return ChangedOrg(
                          services, user,
                          services.orgs->Rename(user, OrgOf(r), *name, *slug, *expected),
                          expected->has_value());
                    }));
  router.Add(Method::kDelete, "/api/v1/orgs/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto deleted = services.orgs->Delete(user, OrgOf(r));
                      if (!deleted) return Fail(deleted.error());
                      return NoContent();
                    }));
  router.Add(Method::kPost, "/api/v1/workspaces/{id}/move",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      if (auto ok = OnlyFields(*body, {"org_id"}, "a move"); !ok) {
                        return Fail(ok.error());
                      }
                      auto org = StringField(*body, "org_id");
                      if (!org) return Fail(org.error());
                      auto moved = services.orgs->MoveWorkspace(
                          user, std::string(r.Param("id").value_or("")), *org);
                      if (!moved) return Fail(moved.error());
                      return JsonResponse(200, WorkspaceJson(*moved));
                    }));
  router.Add(Method::kPut, "/api/v1/orgs/{id}/quotas",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      if (auto ok = OnlyFields(*body, {"org", "member"}, "quotas"); !ok) {
                        return Fail(ok.error());
                      }
                      auto org_quotas = QuotaSet(*body, "org");
                      if (!org_quotas) return Fail(org_quotas.error());
                      auto member_quotas = QuotaSet(*body, "member");
                      if (!member_quotas) return Fail(member_quotas.error());
                      auto expected = IfMatchVersion(r);
                      if (!expected) return Fail(expected.error());
                      return ChangedOrg(services, user,
                                        services.orgs->SetQuotas(user, OrgOf(r), *org_quotas,
                                                                 *member_quotas, *expected),
                                        expected->has_value());
                    }));
}

}  // namespace codeyard::server
