// GET /api/v1/workspaces/{id}/search?q=TEXT[&case=true][&regex=true]: search across a
// workspace's stored files (codeyard::FileSearch, where every rule and cap lives). The answer
// groups matching lines by file; `truncated_by` names the cap that cut it short.
#include "api.hpp"
#include "api_json.hpp"
#include "codeyard/search.hpp"

namespace codeyard::server {
namespace {

// "true"/"1" and "false"/"0" (absent: false); kInvalidArgument naming the argument otherwise.
Result<bool> BoolArg(const Request& r, std::string_view name) {
  const auto value = r.Query(name);
  if (!value || *value == "false" || *value == "0") return false;
  if (*value == "true" || *value == "1") return true;
  return Fail(Error::Code::kInvalidArgument,
              "query argument '" + std::string(name) + "' must be true or false");
}

boost::json::object ResultJson(const SearchResult& result) {
  boost::json::array files;
  for (const SearchFileResult& file : result.files) {
    boost::json::array matches;
    for (const SearchMatch& m : file.matches) {
      matches.push_back({{"line", m.line},
                         {"column", m.column},
                         {"length", m.length},
                         {"text", m.text},
                         {"text_column", m.text_column}});
    }
    files.push_back({{"path", file.path}, {"matches", std::move(matches)}});
  }
  boost::json::object out{{"files", std::move(files)},
                          {"matches", result.matches},
                          {"files_scanned", result.files_scanned},
                          {"files_skipped", result.files_skipped},
                          {"bytes_scanned", result.bytes_scanned},
                          {"truncated", !result.truncated_by.empty()}};
  if (!result.truncated_by.empty()) out["truncated_by"] = result.truncated_by;
  return out;
}

}  // namespace

void AddSearchRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/search",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      SearchQuery query;
                      query.text = std::string(r.Query("q").value_or(""));
                      auto case_sensitive = BoolArg(r, "case");
                      if (!case_sensitive) return Fail(case_sensitive.error());
                      auto regex = BoolArg(r, "regex");
                      if (!regex) return Fail(regex.error());
                      query.case_sensitive = *case_sensitive;
                      query.regex = *regex;
                      auto result = services.search->Search(
                          user, std::string(r.Param("id").value_or("")), query);
                      if (!result) return Fail(result.error());
                      return JsonResponse(200, ResultJson(*result));
                    }));
}

}  // namespace codeyard::server
