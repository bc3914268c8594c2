// Per-user IDE settings over HTTP (codeyard/settings.hpp): GET and PUT /api/v1/me/settings; GET
// also says the server's limits the IDE checks before asking ("limits").
// PUT takes any of the fields and keeps the others; the library checks the values. The
// handlers only check JSON types here, and refuse a field they do not know (a misspelt
// "fontSize" would otherwise be dropped silently).
#include <array>

#include "api.hpp"
#include "api_json.hpp"
#include "codeyard/settings.hpp"

namespace codeyard::server {
namespace {

constexpr std::array<std::string_view, 4> kFields = {"theme", "font_size", "autosave", "tab_size"};

boost::json::object SettingsJson(const UserSettings& s) {
  return {{"theme", s.theme},
          {"font_size", s.font_size},
          {"autosave", s.autosave},
          {"tab_size", s.tab_size},
          {"updated_at", s.updated_at}};
}

// The server's limits the IDE checks before it asks (the server enforces them anyway): the
// upload caps, and how many terminal tabs it may open. With the settings because the IDE
// reads them once, at the start, as it does the settings.
boost::json::object LimitsJson(const Services& services) {
  const FileLimits& files = services.files->limits();
  return {{"max_file_bytes", files.max_file_bytes},
          {"max_workspace_bytes", files.max_workspace_bytes},
          {"max_workspace_entries", files.max_workspace_entries},
          {"max_terminals", services.terminal_max_per_workspace}};
}

Result<std::optional<int>> IntField(const boost::json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  if (value == nullptr) return std::optional<int>();
  if (!value->is_int64() && !value->is_uint64()) {
    return Fail(Error::Code::kInvalidArgument,
                "field '" + std::string(name) + "' must be a whole number");
  }
  const int64_t n =
      value->is_int64() ? value->as_int64() : static_cast<int64_t>(value->as_uint64());
  // Out of int's range is out of every setting's range: the library names the range.
  return std::optional<int>(static_cast<int>(std::clamp<int64_t>(n, -1, 1'000'000)));
}

Result<SettingsPatch> PatchOf(const boost::json::object& body) {
  for (const auto& field : body) {
    if (std::find(kFields.begin(), kFields.end(), std::string_view(field.key())) == kFields.end()) {
      return Fail(Error::Code::kInvalidArgument,
                  "unknown field '" + std::string(field.key()) +
                      "': settings are theme, font_size, autosave and tab_size");
    }
  }
  SettingsPatch patch;
  if (const auto* theme = body.if_contains("theme")) {
    if (!theme->is_string())
      return Fail(Error::Code::kInvalidArgument, "field 'theme' must be a string");
    patch.theme = std::string(theme->as_string());
  }
  if (const auto* autosave = body.if_contains("autosave")) {
    if (!autosave->is_bool()) {
      return Fail(Error::Code::kInvalidArgument, "field 'autosave' must be true or false");
    }
    patch.autosave = autosave->as_bool();
  }
  auto font_size = IntField(body, "font_size");
  if (!font_size) return Fail(font_size.error());
  patch.font_size = *font_size;
  auto tab_size = IntField(body, "tab_size");
  if (!tab_size) return Fail(tab_size.error());
  patch.tab_size = *tab_size;
  return patch;
}

}  // namespace

void AddSettingsRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/me/settings",
             Authed(services.accounts,
                    [&](const Request&, const std::string& user_id) -> Result<Response> {
                      auto settings = services.settings->Get(user_id);
                      if (!settings) return Fail(settings.error());
                      boost::json::object out = SettingsJson(*settings);
                      out["limits"] = LimitsJson(services);
                      return JsonResponse(200, out);
                    }));
  router.Add(Method::kPut, "/api/v1/me/settings",
             Authed(services.accounts,
                    [&](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto patch = PatchOf(*body);
                      if (!patch) return Fail(patch.error());
                      auto settings = services.settings->Update(user_id, *patch);
                      if (!settings) return Fail(settings.error());
                      return JsonResponse(200, SettingsJson(*settings));
                    }));
}

}  // namespace codeyard::server
