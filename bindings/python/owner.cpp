#include "owner.hpp"

#include "codeyard/backend/storage.hpp"

namespace codeyard::python {

Result<std::string> OwnerOf(Platform& platform, const std::string& workspace_id) {
  auto tx = platform.storage().Begin(TxKind::kRead);
  if (!tx) return Fail(tx.error());
  auto rows = (*tx)->Query("SELECT owner_id FROM workspaces WHERE id = ?", {Value{workspace_id}});
  if (!rows) return Fail(rows.error());
  if (rows->empty()) {
    return Fail(Error::Code::kNotFound, "workspace " + workspace_id + " not found");
  }
  return (*rows)[0].Text(0);
}

std::string ActingUser(Platform& platform, const std::string& workspace_id,
                       const std::optional<std::string>& user_id) {
  if (user_id) return *user_id;
  return Blocking([&] { return OwnerOf(platform, workspace_id); });
}

}  // namespace codeyard::python
