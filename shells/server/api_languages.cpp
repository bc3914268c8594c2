// GET /api/v1/languages: the language table (codeyard/languages.hpp) as JSON, for the IDE's
// language menu and for API clients. Public, like /health: it tells nothing about anyone, and
// the page that lists languages may load before sign-in. The answer never changes while the
// process runs, so it is built once.
#include <string>

#include "api.hpp"
#include "api_json.hpp"
#include "codeyard/languages.hpp"

namespace codeyard::server {
namespace {

boost::json::array Strings(const std::vector<std::string>& words) {
  boost::json::array out;
  for (const auto& w : words) out.emplace_back(w);
  return out;
}

std::string LanguagesJson() {
  boost::json::array languages;
  for (const LanguageInfo& info : Languages()) {
    boost::json::object entry{
        {"id", info.id},
        {"name", info.display_name},
        {"aliases", Strings(info.aliases)},
        {"source_file", info.source_file},
        {"extensions", Strings(info.extensions)},
        {"compiled", !info.compile_command.empty()},
        {"compile_command", Strings(info.compile_command)},
        {"run_command", Strings(info.run_command)},
        {"version_command", Strings(info.version_command)},
    };
    if (!info.compile_command.empty()) {
      entry["compile_time_limit_s"] =
          static_cast<double>(info.compile_limits.cpu_time.count()) / 1000.0;
      entry["compile_output_limit_kb"] = info.compile_limits.output_bytes / 1024;
    }
    languages.emplace_back(std::move(entry));
  }
  return boost::json::serialize(boost::json::object{{"languages", std::move(languages)}});
}

}  // namespace

void AddLanguageRoutes(Router& router, Services&) {
  router.Add(Method::kGet, "/api/v1/languages", [](const Request&) -> Result<Response> {
    static const std::string body = LanguagesJson();
    return Response::Json(200, body);
  });
}

}  // namespace codeyard::server
