#include "codeyard/settings.hpp"

#include "codeyard/platform.hpp"
#include "core/store/store_util.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

Result<void> CheckRange(std::string_view field, const std::optional<int>& value, int low,
                        int high) {
  if (value && (*value < low || *value > high)) {
    return Fail(Error::Code::kInvalidArgument,
                "settings: " + std::string(field) + " must be from " + std::to_string(low) +
                    " to " + std::to_string(high) + ", not " + std::to_string(*value));
  }
  return {};
}

Result<std::optional<UserSettings>> Load(Transaction& tx, std::string_view user_id) {
  CY_TRY(Rows rows, tx.Query("SELECT theme, font_size, autosave, tab_size, updated_at "
                             "FROM user_settings WHERE user_id = ?",
                             {store::Text(user_id)}));
  if (rows.empty()) return std::optional<UserSettings>{};
  const auto& r = rows.front();
  UserSettings s;
  CY_TRY(s.theme, r.Text(0));
  CY_TRY(const int64_t font_size, r.Int(1));
  CY_TRY(const int64_t autosave, r.Int(2));
  CY_TRY(const int64_t tab_size, r.Int(3));
  CY_TRY(s.updated_at, r.Int(4));
  s.font_size = static_cast<int>(font_size);
  s.autosave = autosave != 0;
  s.tab_size = static_cast<int>(tab_size);
  return std::optional<UserSettings>{std::move(s)};
}

}  // namespace

Result<void> ValidateSettings(const SettingsPatch& patch) {
  if (patch.theme && *patch.theme != "dark" && *patch.theme != "light") {
    return Fail(Error::Code::kInvalidArgument,
                "settings: theme must be \"dark\" or \"light\", not \"" + *patch.theme + "\"");
  }
  CY_CHECK(CheckRange("font_size", patch.font_size, kMinFontSize, kMaxFontSize));
  CY_CHECK(CheckRange("tab_size", patch.tab_size, kMinTabSize, kMaxTabSize));
  return {};
}

Settings::Settings(std::shared_ptr<Platform> platform) : platform_(std::move(platform)) {}

Result<UserSettings> Settings::Get(std::string_view user_id) const {
  return store::Transact(platform_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<UserSettings> {
                           CY_TRY(auto stored, Load(tx, user_id));
                           return stored.value_or(UserSettings{});
                         });
}

Result<UserSettings> Settings::Update(std::string_view user_id, const SettingsPatch& patch) {
  CY_CHECK(ValidateSettings(patch));
  // The row a first save creates: the defaults with the patch applied.
  UserSettings first;
  if (patch.theme) first.theme = *patch.theme;
  if (patch.font_size) first.font_size = *patch.font_size;
  if (patch.autosave) first.autosave = *patch.autosave;
  if (patch.tab_size) first.tab_size = *patch.tab_size;
  first.updated_at = platform_->clock().NowMillis();
  // An upsert that sets only the fields given, so two saves at once of different fields (two
  // browsers) both land on either backend; updated_at never goes backwards.
  std::string set =
      "updated_at = CASE WHEN excluded.updated_at > user_settings.updated_at "
      "THEN excluded.updated_at ELSE user_settings.updated_at + 1 END";
  if (patch.theme) set += ", theme = excluded.theme";
  if (patch.font_size) set += ", font_size = excluded.font_size";
  if (patch.autosave) set += ", autosave = excluded.autosave";
  if (patch.tab_size) set += ", tab_size = excluded.tab_size";
  const std::string sql =
      "INSERT INTO user_settings (user_id, theme, font_size, autosave, tab_size, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET " +
      set;
  return store::Transact(
      platform_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<UserSettings> {
        CY_CHECK(
            tx.Exec(sql, {store::Text(user_id), store::Text(first.theme),
                          Value{int64_t{first.font_size}}, Value{int64_t{first.autosave ? 1 : 0}},
                          Value{int64_t{first.tab_size}}, Value{first.updated_at}}));
        CY_TRY(auto stored, Load(tx, user_id));
        if (!stored) return Fail(Error::Code::kInternal, "settings: the saved row is missing");
        return *stored;
      });
}

}  // namespace codeyard
