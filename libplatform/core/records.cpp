#include "codeyard/records.hpp"

#include <string>

namespace codeyard {
namespace {

template <class E, std::size_t N>
Result<E> ParseName(std::string_view text, const std::pair<E, std::string_view> (&names)[N],
                    std::string_view what) {
  std::string known;
  for (const auto& [value, name] : names) {
    if (name == text) return value;
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  return Fail(Error::Code::kInvalidArgument, "unknown " + std::string(what) + " \"" +
                                                 std::string(text) + "\" (use " + known + ")");
}

constexpr std::pair<Role, std::string_view> kRoles[] = {{Role::kUser, "user"},
                                                        {Role::kAdmin, "admin"}};
constexpr std::pair<WorkspaceState, std::string_view> kStates[] = {
    {WorkspaceState::kStopped, "stopped"},
    {WorkspaceState::kStarting, "starting"},
    {WorkspaceState::kRunning, "running"},
    {WorkspaceState::kStopping, "stopping"}};
constexpr std::pair<ItemKind, std::string_view> kKinds[] = {{ItemKind::kFile, "file"},
                                                            {ItemKind::kDir, "dir"}};

constexpr std::pair<OrgRole, std::string_view> kOrgRoles[] = {
    {OrgRole::kOwner, "owner"}, {OrgRole::kAdmin, "admin"}, {OrgRole::kMember, "member"}};

}  // namespace

std::string_view RoleName(Role role) noexcept { return kRoles[static_cast<int>(role)].second; }
Result<Role> ParseRole(std::string_view text) { return ParseName(text, kRoles, "role"); }

std::string_view WorkspaceStateName(WorkspaceState state) noexcept {
  return kStates[static_cast<int>(state)].second;
}
Result<WorkspaceState> ParseWorkspaceState(std::string_view text) {
  return ParseName(text, kStates, "workspace state");
}

std::string_view ItemKindName(ItemKind kind) noexcept {
  return kKinds[static_cast<int>(kind)].second;
}
Result<ItemKind> ParseItemKind(std::string_view text) {
  return ParseName(text, kKinds, "item kind");
}

std::string_view OrgRoleName(OrgRole role) noexcept {
  return kOrgRoles[static_cast<int>(role)].second;
}
Result<OrgRole> ParseOrgRole(std::string_view text) {
  return ParseName(text, kOrgRoles, "organization role");
}

}  // namespace codeyard
