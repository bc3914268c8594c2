// Per-user IDE settings (codeyard/settings.hpp) on every backend: defaults until saved, a
// change keeps the fields it does not name, wrong values are refused with nothing stored, each
// user has their own, and two services over one database (two servers) see the same row.
#include <catch2/catch.hpp>

#include <thread>

#include "codeyard/clock.hpp"
#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/settings.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

std::shared_ptr<Platform> OpenPlatform(const testing::TestDatabase& db,
                                       std::shared_ptr<Clock> clock) {
  Options o;
  o.storage = db.shared();
  o.clock = std::move(clock);
  auto opened = Platform::Open(o);
  if (!opened) FAIL(opened.error().ToString());
  return std::shared_ptr<Platform>(std::move(*opened));
}

std::chrono::system_clock::time_point AtMillis(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// Designated initializers would leave fields out (-Wmissing-field-initializers).
SettingsPatch Patch(std::optional<std::string> theme, std::optional<int> font_size,
                    std::optional<bool> autosave, std::optional<int> tab_size) {
  SettingsPatch p;
  p.theme = std::move(theme);
  p.font_size = font_size;
  p.autosave = autosave;
  p.tab_size = tab_size;
  return p;
}

template <typename T>
T Must(Result<T> r) {
  if (!r) FAIL(r.error().ToString());
  return std::move(*r);
}

TEMPLATE_TEST_CASE("settings: defaults, partial changes, validation, per user",
                   "[storage][settings]", CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  auto clock = std::make_shared<ManualClock>(AtMillis(5000));
  Settings settings(OpenPlatform(*db, clock));
  const std::string ada = NewUuid();
  const std::string bob = NewUuid();

  // Never saved: the defaults, updated_at 0.
  const UserSettings defaults = Must(settings.Get(ada));
  CHECK(defaults == UserSettings{});
  CHECK(defaults.theme == "dark");
  CHECK(defaults.font_size == 14);
  CHECK(defaults.autosave);
  CHECK(defaults.tab_size == 4);
  CHECK(defaults.updated_at == 0);

  SettingsPatch theme;
  theme.theme = "light";
  const UserSettings first = Must(settings.Update(ada, theme));
  CHECK(first.theme == "light");
  CHECK(first.font_size == 14);
  CHECK(first.updated_at == 5000);

  // Fields not named stay.
  SettingsPatch more;
  more.font_size = 18;
  more.autosave = false;
  more.tab_size = 2;
  const UserSettings second = Must(settings.Update(ada, more));
  CHECK(second.theme == "light");
  CHECK(second.font_size == 18);
  CHECK_FALSE(second.autosave);
  CHECK(second.tab_size == 2);
  CHECK(second.updated_at == 5001);  // the clock did not move: still later than before
  CHECK(Must(settings.Get(ada)) == second);

  // Wrong values: refused, naming the field, nothing stored.
  for (const SettingsPatch& bad :
       {Patch("blue", {}, {}, {}), Patch({}, 7, {}, {}), Patch({}, 33, {}, {}),
        Patch({}, {}, {}, 0), Patch({}, {}, {}, 9), Patch("dark", 100, {}, {})}) {
    auto refused = settings.Update(ada, bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Error::Code::kInvalidArgument);
    CHECK(refused.error().message().starts_with("settings: "));
  }
  CHECK(Must(settings.Get(ada)) == second);
  CHECK(ValidateSettings(Patch("dark", 8, {}, 8)).has_value());
  CHECK(ValidateSettings(Patch({}, 32, {}, 1)).has_value());

  // Another user has their own (still the defaults).
  CHECK(Must(settings.Get(bob)) == UserSettings{});

  // Another service over the same database (another server) reads what this one saved.
  Settings other(OpenPlatform(*db, clock));
  CHECK(Must(other.Get(ada)) == second);
}

TEMPLATE_TEST_CASE("settings: changes of different fields at once all land", "[storage][settings]",
                   CODEYARD_STORAGE_BACKENDS) {
  auto db = TestType::Create();
  Settings settings(OpenPlatform(*db, std::make_shared<ManualClock>(AtMillis(1))));
  const std::string ada = NewUuid();
  std::thread font([&] { CHECK(settings.Update(ada, Patch({}, 20, {}, {})).has_value()); });
  std::thread tab([&] { CHECK(settings.Update(ada, Patch({}, {}, {}, 3)).has_value()); });
  std::thread theme([&] { CHECK(settings.Update(ada, Patch("light", {}, {}, {})).has_value()); });
  font.join();
  tab.join();
  theme.join();
  const UserSettings s = Must(settings.Get(ada));
  CHECK(s.font_size == 20);
  CHECK(s.tab_size == 3);
  CHECK(s.theme == "light");
  CHECK(s.updated_at >= 1);
}

}  // namespace
}  // namespace codeyard
