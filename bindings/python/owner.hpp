// The user a call acts as: the caller's `user_id=` when given, else the workspace's owner (the
// embedding application holds the storage, as an operator does). Each service wrapper of a
// workspace-scoped service holds the Platform it looks owners up in.
//
// Threading: OwnerOf blocks on storage; call it without the GIL.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "codeyard/platform.hpp"
#include "common.hpp"

namespace codeyard::python {

// kNotFound when no workspace has the id.
[[nodiscard]] Result<std::string> OwnerOf(Platform& platform, const std::string& workspace_id);

// `user_id` if given, else OwnerOf; with the GIL released for the lookup.
[[nodiscard]] std::string ActingUser(Platform& platform, const std::string& workspace_id,
                                     const std::optional<std::string>& user_id);

}  // namespace codeyard::python
