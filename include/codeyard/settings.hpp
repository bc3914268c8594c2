// Per-user settings of the browser IDE (issue 17): the theme, the editor's and terminal's font
// size, autosave on or off, and the tab size. They are kept on the server, one row per user,
// so a person finds them on every browser and device. A user who never saved any gets the
// defaults. The valid values are a rule of the product and live here: the server's route and
// every other caller get the same checks (kInvalidArgument names the field and the range).
//
// Threading: every method is safe from any thread at once; state is in storage.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard {

class Platform;

inline constexpr int kMinFontSize = 8;
inline constexpr int kMaxFontSize = 32;
inline constexpr int kMinTabSize = 1;
inline constexpr int kMaxTabSize = 8;

struct UserSettings {
  std::string theme = "dark";  // "dark" or "light"
  int font_size = 14;          // pixels, kMinFontSize..kMaxFontSize
  bool autosave = true;        // save after a second of quiet, on blur and before a run
  int tab_size = 4;            // spaces per tab, kMinTabSize..kMaxTabSize
  int64_t updated_at = 0;      // milliseconds since the epoch; 0 = never saved (defaults)

  friend bool operator==(const UserSettings&, const UserSettings&) = default;
};

// A change: the fields given replace the stored ones, the others stay.
struct SettingsPatch {
  std::optional<std::string> theme;
  std::optional<int> font_size;
  std::optional<bool> autosave;
  std::optional<int> tab_size;
};

// kInvalidArgument naming the first field out of range ("settings: font_size must be ...").
[[nodiscard]] Result<void> ValidateSettings(const SettingsPatch& patch);

class Settings {
 public:
  explicit Settings(std::shared_ptr<Platform> platform);

  // The user's settings, or the defaults when they never saved any.
  [[nodiscard]] Result<UserSettings> Get(std::string_view user_id) const;

  // Validates `patch` (nothing is stored when a field is wrong), applies it over the stored
  // settings (or the defaults) in one transaction, and returns the result.
  [[nodiscard]] Result<UserSettings> Update(std::string_view user_id, const SettingsPatch& patch);

 private:
  std::shared_ptr<Platform> platform_;
};

}  // namespace codeyard
