// codeyard.Accounts (users, logins, roles) and the User and Session result classes.
#include <memory>
#include <string>

#include "codeyard/accounts.hpp"
#include "common.hpp"

namespace codeyard::python {
namespace {

std::string UserRepr(const User& u) {
  return "<User id=" + Quote(u.id) + " username=" + Quote(u.username) +
         " role=" + Quote(std::string(RoleName(u.role))) +
         " reviewer_level=" + std::to_string(u.reviewer_level) + ">";
}

}  // namespace

void AddAccounts(py::module_& m) {
  py::class_<User>(m, "User", "A user account (the password hash never leaves the library).")
      .def_readonly("id", &User::id)
      .def_readonly("username", &User::username)
      .def_readonly("display_name", &User::display_name)
      .def_property_readonly(
          "role", [](const User& u) { return std::string(RoleName(u.role)); },
          "\"user\" or \"admin\".")
      .def_readonly("reviewer_level", &User::reviewer_level)
      .def_readonly("disabled", &User::disabled)
      .def_readonly("created_at", &User::created_at, "ms since the epoch")
      .def_readonly("updated_at", &User::updated_at)
      .def_readonly("version", &User::version)
      .def("__repr__", &UserRepr);

  py::class_<Session>(m, "Session", "A login: an access token (short-lived) and a refresh token.")
      .def_readonly("access_token", &Session::access_token)
      .def_readonly("access_expires_at", &Session::access_expires_at)
      .def_readonly("refresh_token", &Session::refresh_token)
      .def_readonly("refresh_expires_at", &Session::refresh_expires_at)
      .def_readonly("user", &Session::user)
      .def("__repr__",
           [](const Session& s) { return "<Session user=" + Quote(s.user.username) + ">"; });

  using A = Accounts;
  py::class_<A, std::shared_ptr<A>>(
      m, "Accounts",
      "Users and logins. Passwords are hashed with argon2id; login and registration are "
      "rate-limited as on the server.")
      .def(
          "register",
          [](A& a, const std::string& username, const std::string& password,
             const std::string& display_name, const std::string& role) {
            NewUser user{username, password, display_name, Unwrap(ParseRole(role))};
            return Blocking([&] { return a.Register(user); });
          },
          py::arg("username"), py::arg("password"), py::arg("display_name") = "",
          py::arg("role") = "user",
          "Creates a user (role \"user\" or \"admin\"). AlreadyExists when the name is taken.")
      .def(
          "login",
          [](A& a, const std::string& username, const std::string& password) {
            return Blocking([&] { return a.Login(username, password); });
          },
          py::arg("username"), py::arg("password"),
          "Checks the password and starts a Session; Unauthenticated when wrong.")
      .def(
          "refresh",
          [](A& a, const std::string& token) { return Blocking([&] { return a.Refresh(token); }); },
          py::arg("refresh_token"), "Trades a refresh token for a new Session (rotation).")
      .def(
          "logout",
          [](A& a, const std::string& token) { Blocking([&] { return a.Logout(token); }); },
          py::arg("refresh_token"), "Ends the login the token belongs to.")
      .def(
          "change_password",
          [](A& a, const std::string& user_id, const std::string& old_password,
             const std::string& new_password) {
            Blocking([&] { return a.ChangePassword(user_id, old_password, new_password); });
          },
          py::arg("user_id"), py::arg("old_password"), py::arg("new_password"),
          "Changes the password and ends every login of the user.")
      .def(
          "verify",
          [](A& a, const std::string& token) {
            return Blocking([&] { return a.VerifyAccessToken(token); }).user_id;
          },
          py::arg("access_token"), "The user id of a valid access token; Unauthenticated else.")
      .def(
          "get_user",
          [](A& a, const std::string& user_id) {
            return Blocking([&] { return a.GetUser(user_id); });
          },
          py::arg("user_id"), "The user; NotFound when absent.")
      .def(
          "get_user_by_username",
          [](A& a, const std::string& username) {
            return Blocking([&] { return a.GetUserByUsername(username); });
          },
          py::arg("username"))
      .def(
          "set_role",
          [](A& a, const std::string& acting, const std::string& user_id, const std::string& role) {
            const Role r = Unwrap(ParseRole(role));
            return Blocking([&] { return a.SetRole(acting, user_id, r); });
          },
          py::arg("acting_user_id"), py::arg("user_id"), py::arg("role"),
          "Admin only (PermissionDenied otherwise).")
      .def(
          "set_reviewer_level",
          [](A& a, const std::string& acting, const std::string& user_id, int level) {
            return Blocking([&] { return a.SetReviewerLevel(acting, user_id, level); });
          },
          py::arg("acting_user_id"), py::arg("user_id"), py::arg("level"), "Admin only; level 0-4.")
      .def(
          "set_disabled",
          [](A& a, const std::string& acting, const std::string& user_id, bool disabled) {
            return Blocking([&] { return a.SetDisabled(acting, user_id, disabled); });
          },
          py::arg("acting_user_id"), py::arg("user_id"), py::arg("disabled"),
          "Admin only; disabling ends every login of the user.");
}

}  // namespace codeyard::python
