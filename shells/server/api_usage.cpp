// Usage export over HTTP (codeyard/usage.hpp, issue 20): GET /api/v1/orgs/{id}/usage (an
// organization's owners and admins; anyone else gets 404) and GET /api/v1/users/me/usage (the
// caller's own), both with ?from=YYYY-MM-DD&to=YYYY-MM-DD. JSON by default; CSV with
// `Accept: text/csv` or `?format=csv`. The library checks the dates and the access.
#include "api.hpp"
#include "api_json.hpp"
#include "codeyard/usage.hpp"

namespace codeyard::server {
namespace {

boost::json::object RowJson(const UsageRow& r, bool with_day) {
  boost::json::object o;
  if (with_day) o["day"] = r.day;
  o["org_id"] = r.org_id;
  o["user_id"] = r.user_id;
  o["cpu_seconds"] = static_cast<double>(r.cpu_ms) / 1000.0;
  o["wall_seconds"] = static_cast<double>(r.wall_ms) / 1000.0;
  o["peak_memory_bytes"] = r.peak_memory_bytes;
  o["jobs"] = r.jobs;
  o["runs"] = r.runs;
  o["stored_bytes"] = r.stored_bytes;
  return o;
}

Result<bool> WantsCsv(const Request& r) {
  if (const auto format = r.Query("format")) {
    if (*format == "csv") return true;
    if (*format == "json") return false;
    return Fail(Error::Code::kInvalidArgument, "format must be json or csv");
  }
  const auto accept = r.Header("accept");
  return accept && accept->find("text/csv") != std::string_view::npos;
}

Result<Response> Answer(const Request& r, Result<UsageReport> report, std::string_view file_name) {
  if (!report) return Fail(report.error());
  auto csv = WantsCsv(r);
  if (!csv) return Fail(csv.error());
  if (*csv) {
    Response out;
    out.status = 200;
    out.content_type = "text/csv; charset=utf-8";
    out.body = UsageCsv(*report);
    out.headers.emplace_back("Content-Disposition", "attachment; filename=\"" +
                                                        std::string(file_name) + "-" +
                                                        report->from + "-" + report->to + ".csv\"");
    return out;
  }
  boost::json::array days;
  for (const UsageRow& d : report->days) days.push_back(RowJson(d, true));
  boost::json::array members;
  for (const UsageRow& m : report->members) members.push_back(RowJson(m, false));
  boost::json::object out{{"from", report->from},
                          {"to", report->to},
                          {"days", std::move(days)},
                          {"totals", RowJson(report->totals, false)}};
  if (report->org_id.empty()) {
    out["user_id"] = report->user_id;
    out["orgs"] = std::move(members);
  } else {
    out["org_id"] = report->org_id;
    out["members"] = std::move(members);
  }
  return JsonResponse(200, out);
}

UsageRange RangeOf(const Request& r) {
  return UsageRange{std::string(r.Query("from").value_or("")),
                    std::string(r.Query("to").value_or(""))};
}

}  // namespace

void AddUsageRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/orgs/{id}/usage",
             Authed(services.accounts,
                    [&](const Request& r, const std::string& user_id) -> Result<Response> {
                      const std::string org(r.Param("id").value_or(""));
                      return Answer(r, services.usage->ForOrg(user_id, org, RangeOf(r)), "usage");
                    }));
  router.Add(Method::kGet, "/api/v1/users/me/usage",
             Authed(services.accounts,
                    [&](const Request& r, const std::string& user_id) -> Result<Response> {
                      return Answer(r, services.usage->ForUser(user_id, RangeOf(r)), "my-usage");
                    }));
}

}  // namespace codeyard::server
