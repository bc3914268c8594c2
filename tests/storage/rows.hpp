// What the repository suites (entities_test, orgs_test) share: a user row with every field an
// insert needs, and Write, which runs `work` in a committed write transaction and REQUIREs that
// it succeeded (returning what `work` returned). Header-only; used on the test's own thread.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <type_traits>
#include <utility>

#include "codeyard/id.hpp"
#include "codeyard/records.hpp"
#include "core/store/transact.hpp"

namespace codeyard::testing {

inline User MakeUser(std::string name) {
  User u;
  u.id = NewUuid();
  u.username = std::move(name);
  u.display_name = "Ada Lovelace";
  u.password_hash = "$argon2id$v=19$stub";
  u.created_at = u.updated_at = 1000;
  return u;
}

template <class F>
auto Write(Storage& s, F&& work) {
  auto r = store::Transact(s, TxKind::kWrite, std::forward<F>(work));
  if (!r) FAIL(r.error().ToString());
  if constexpr (!std::is_void_v<typename decltype(r)::value_type>) return std::move(*r);
}

}  // namespace codeyard::testing
