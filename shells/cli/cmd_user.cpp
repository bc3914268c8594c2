// `codeyard user add|list|set-level|set-role|passwd|disable`: account administration by the
// operator, on the storage directly (no server, no sign-in): the library's Accounts
// *AsOperator calls, with the same rules as the API (username and password rules, levels 0-4;
// a disable or a new password ends every login at once). Passwords are read from stdin only,
// so they never show in `ps` or the shell history.
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "codeyard/accounts.hpp"
#include "codeyard/services.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

struct UserFlags {
  std::string name;
  std::string role = "user";
  int level = -1;  // -1: not given
  std::string value;
  bool password_stdin = false;
  bool json = false;
  bool enable = false;
};

// The password on stdin: its first line, without the line end.
std::string ReadPasswordStdin() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    Raise(Error(Error::Code::kInvalidArgument, "user: no password on stdin"));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

struct Opened {
  std::shared_ptr<Platform> platform;
  std::unique_ptr<Accounts> accounts;
};

Opened Open(const CommonOptions& common) {
  const Config config = common.Load();
  Opened o;
  o.platform = OpenStorage(config);
  AccountsOptions options = ServiceOptionsFrom(config).accounts;
  o.accounts = std::make_unique<Accounts>(o.platform, options);
  return o;
}

User Find(Accounts& accounts, const std::string& name) {
  auto user = accounts.GetUserByUsername(name);
  if (!user) Raise(user.error().WithContext("user " + name));
  return *user;
}

boost::json::object UserJson(const User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"role", RoleName(u.role)},
          {"reviewer_level", u.reviewer_level},
          {"disabled", u.disabled},
          {"created_at", u.created_at}};
}

void PrintUser(const User& u, bool json) {
  if (json) {
    std::cout << boost::json::serialize(UserJson(u)) << "\n";
    return;
  }
  std::printf("%s\t%s\t%s\tlevel %d%s\n", u.id.c_str(), u.username.c_str(),
              std::string(RoleName(u.role)).c_str(), u.reviewer_level,
              u.disabled ? "\tdisabled" : "");
}

void Add(const UserFlags& flags, const CommonOptions& common) {
  if (!flags.password_stdin) {
    Raise(Error(Error::Code::kInvalidArgument,
                "user add: give the password on stdin with "
                "--password-stdin"));
  }
  auto role = ParseRole(flags.role);
  if (!role) Raise(role.error());
  NewUser user;
  user.username = flags.name;
  user.password = ReadPasswordStdin();
  user.role = *role;
  Opened o = Open(common);
  auto created = o.accounts->RegisterAsOperator(user);  // org20: audited
  if (!created) Raise(created.error());
  User out = *created;
  if (flags.level >= 0) {
    auto leveled = o.accounts->SetReviewerLevelAsOperator(out.id, flags.level);
    if (!leveled) Raise(leveled.error());
    out = *leveled;
  }
  if (flags.json) {
    PrintUser(out, true);
  } else {
    std::printf("%s\n", out.id.c_str());
  }
}

void List(const UserFlags& flags, const CommonOptions& common) {
  Opened o = Open(common);
  auto users = o.accounts->ListUsersAsOperator();
  if (!users) Raise(users.error());
  if (flags.json) {
    boost::json::array items;
    for (const User& u : *users) items.push_back(UserJson(u));
    std::cout << boost::json::serialize(items) << "\n";
    return;
  }
  for (const User& u : *users) PrintUser(u, false);
}

void SetLevel(const UserFlags& flags, const CommonOptions& common) {
  Opened o = Open(common);
  const User user = Find(*o.accounts, flags.name);
  int level = 0;
  try {
    std::size_t used = 0;
    level = std::stoi(flags.value, &used);
    if (used != flags.value.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    Raise(Error(Error::Code::kInvalidArgument, "user set-level: LEVEL must be 0 to 4"));
  }
  auto changed = o.accounts->SetReviewerLevelAsOperator(user.id, level);
  if (!changed) Raise(changed.error());
  PrintUser(*changed, flags.json);
}

void SetRole(const UserFlags& flags, const CommonOptions& common) {
  auto role = ParseRole(flags.value);
  if (!role) Raise(role.error());
  Opened o = Open(common);
  const User user = Find(*o.accounts, flags.name);
  auto changed = o.accounts->SetRoleAsOperator(user.id, *role);
  if (!changed) Raise(changed.error());
  PrintUser(*changed, flags.json);
}

void Passwd(const UserFlags& flags, const CommonOptions& common) {
  if (!flags.password_stdin) {
    Raise(Error(Error::Code::kInvalidArgument,
                "user passwd: give the new password on stdin "
                "with --password-stdin"));
  }
  const std::string password = ReadPasswordStdin();
  Opened o = Open(common);
  const User user = Find(*o.accounts, flags.name);
  auto changed = o.accounts->SetPasswordAsOperator(user.id, password);
  if (!changed) Raise(changed.error());
  std::printf("password of %s changed; every login of the user has ended\n",
              changed->username.c_str());
}

void Disable(const UserFlags& flags, const CommonOptions& common) {
  Opened o = Open(common);
  const User user = Find(*o.accounts, flags.name);
  auto changed = o.accounts->SetDisabledAsOperator(user.id, !flags.enable);
  if (!changed) Raise(changed.error());
  PrintUser(*changed, flags.json);
}

}  // namespace

void AddUserCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("user", "administer accounts on the storage directly");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  echo \"$PW\" | codeyard user add alice --role admin --password-stdin --data /var/lib/cy\n"
      "  codeyard user list --json --data /var/lib/cy\n"
      "  codeyard user set-level alice 2 --data /var/lib/cy\n"
      "  codeyard user disable mallory --data /var/lib/cy");
  auto flags = std::make_shared<UserFlags>();
  auto common = std::make_shared<CommonOptions>();
  const auto sub = [&](const char* name, const char* what) {
    auto* s = cmd->add_subcommand(name, what);
    common->AddTo(*s);
    s->add_flag("--json", flags->json, "print JSON");
    return s;
  };

  auto* add = sub("add", "create a user; prints the new id");
  add->footer(
      "Examples:\n"
      "  echo \"$PW\" | codeyard user add alice --password-stdin --data /var/lib/cy\n"
      "  echo \"$PW\" | codeyard user add root --role admin --reviewer-level 4 --password-stdin "
      "--data /var/lib/cy");
  add->add_option("name", flags->name, "username")->required();
  add->add_option("--role", flags->role, "user (default) or admin")
      ->check(CLI::IsMember({"user", "admin"}));
  add->add_option("--reviewer-level", flags->level, "reviewer level 0-4")->check(CLI::Range(0, 4));
  add->add_flag("--password-stdin", flags->password_stdin, "read the password from stdin");
  add->callback([flags, common] { Add(*flags, *common); });

  auto* list = sub("list", "list every user");
  list->footer(
      "Examples:\n"
      "  codeyard user list --data /var/lib/cy\n"
      "  codeyard user list --json --storage postgres://codeyard@db/codeyard");
  list->callback([flags, common] { List(*flags, *common); });

  auto* level = sub("set-level", "set a user's reviewer level (0-4)");
  level->footer(
      "Examples:\n"
      "  codeyard user set-level alice 2 --data /var/lib/cy");
  level->add_option("name", flags->name, "username")->required();
  level->add_option("level", flags->value, "0 to 4")->required();
  level->callback([flags, common] { SetLevel(*flags, *common); });

  auto* role = sub("set-role", "make a user an admin or an ordinary user");
  role->footer(
      "Examples:\n"
      "  codeyard user set-role alice admin --data /var/lib/cy");
  role->add_option("name", flags->name, "username")->required();
  role->add_option("role", flags->value, "user or admin")->required();
  role->callback([flags, common] { SetRole(*flags, *common); });

  auto* passwd = sub("passwd", "set a user's password (ends every login of the user)");
  passwd->footer(
      "Examples:\n"
      "  echo \"$PW\" | codeyard user passwd alice --password-stdin --data /var/lib/cy");
  passwd->add_option("name", flags->name, "username")->required();
  passwd->add_flag("--password-stdin", flags->password_stdin, "read the password from stdin");
  passwd->callback([flags, common] { Passwd(*flags, *common); });

  auto* disable = sub("disable", "disable a user (ends every login); --enable undoes it");
  disable->footer(
      "Examples:\n"
      "  codeyard user disable mallory --data /var/lib/cy\n"
      "  codeyard user disable mallory --enable --data /var/lib/cy");
  disable->add_option("name", flags->name, "username")->required();
  disable->add_flag("--enable", flags->enable, "enable the user again");
  disable->callback([flags, common] { Disable(*flags, *common); });
}

}  // namespace codeyard::cli
