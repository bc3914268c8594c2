#include "api_json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace codeyard::server {
namespace {

std::string Quoted(std::string_view name) { return "field '" + std::string(name) + "'"; }

const boost::json::value* FieldOf(const boost::json::object& body, std::string_view name) {
  const auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

}  // namespace

Result<boost::json::object> JsonBody(const Request& request) {
  if (request.body.empty()) {
    return Fail(Error::Code::kInvalidArgument, "the request body must be a JSON object");
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) {
    return Fail(Error::Code::kInvalidArgument,
                "the request body is not valid JSON: " + ec.message());
  }
  if (!value.is_object()) {
    return Fail(Error::Code::kInvalidArgument, "the request body must be a JSON object");
  }
  return std::move(value.as_object());
}

Result<std::string> StringField(const boost::json::object& body, std::string_view name) {
  auto value = OptionalString(body, name);
  if (!value) return Fail(value.error());
  std::optional<std::string>& present = *value;
  if (!present) return Fail(Error::Code::kInvalidArgument, Quoted(name) + " is required");
  return std::move(*present);
}

Result<std::optional<std::string>> OptionalString(const boost::json::object& body,
                                                  std::string_view name) {
  const boost::json::value* value = FieldOf(body, name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) {
    return Fail(Error::Code::kInvalidArgument, Quoted(name) + " must be a string");
  }
  return std::optional<std::string>(std::string(value->as_string()));
}

Result<std::optional<double>> OptionalNumber(const boost::json::object& body, std::string_view name,
                                             double min, double max) {
  const boost::json::value* value = FieldOf(body, name);
  if (value == nullptr) return std::optional<double>();
  if (!value->is_number()) {
    return Fail(Error::Code::kInvalidArgument, Quoted(name) + " must be a number");
  }
  const double number = value->to_number<double>();
  if (!(number >= min && number <= max)) {
    return Fail(
        Error::Code::kInvalidArgument,
        Quoted(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return std::optional<double>(number);
}

// RFC 7235 §2.1: `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, the scheme
// compared case-insensitively; surrounding spaces are tolerated. Only Bearer is spoken here.
Result<std::string_view> BearerToken(std::string_view header) {
  const auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  // A loop, not find_first_of(" \t"), which runs a memchr per character of a long token.
  const auto first_blank = [](std::string_view v) -> std::size_t {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == ' ' || v[i] == '\t') return i;
    }
    return std::string_view::npos;
  };
  header = trim(header);
  const std::size_t sp = first_blank(header);
  const std::string_view scheme = header.substr(0, sp);
  const std::string_view token =
      sp == std::string_view::npos ? std::string_view() : trim(header.substr(sp));
  const bool bearer =
      scheme.size() == 6 && std::equal(scheme.begin(), scheme.end(), "bearer", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      });
  if (!bearer) {
    return Fail(Error::Code::kUnauthenticated,
                "unsupported Authorization scheme; use Authorization: Bearer <access token>");
  }
  if (token.empty() || first_blank(token) != std::string_view::npos) {
    return Fail(Error::Code::kUnauthenticated,
                "an Authorization: Bearer <access token> is required");
  }
  return token;
}

Result<AccessClaims> Authenticate(const Accounts& accounts, const Request& request) {
  const auto header = request.Header("authorization");
  if (!header) {
    return Fail(Error::Code::kUnauthenticated,
                "an Authorization: Bearer <access token> is required");
  }
  auto token = BearerToken(*header);
  if (!token) return Fail(token.error());
  return accounts.VerifyAccessToken(*token);
}

Result<std::optional<int64_t>> IfMatchVersion(const Request& request) {
  auto header = request.Header("if-match");
  if (!header) return std::optional<int64_t>();
  std::string_view text = *header;
  if (text.starts_with("W/")) text.remove_prefix(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  int64_t version = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || version < 0) {
    return Fail(Error::Code::kInvalidArgument, "If-Match must be a version such as \"3\"");
  }
  return std::optional<int64_t>(version);
}

boost::json::object UserJson(const User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"role", RoleName(user.role)},
          {"reviewer_level", user.reviewer_level}};
}

boost::json::object WorkspaceJson(const Workspace& w) {
  return {{"id", w.id},
          {"name", w.name},
          {"state", WorkspaceStateName(w.state)},
          {"created_at", w.created_at},
          {"updated_at", w.updated_at},
          {"version", w.version},
          {"terminal_shared", w.terminal_shared},
          {"image", w.image},
          {"org_id", w.org_id},
          {"usage", {{"bytes", w.total_bytes}, {"entries", w.entry_count}}}};
}

boost::json::object FileInfoJson(const FileInfo& info) {
  return {{"path", info.path},
          {"kind", ItemKindName(info.kind)},
          {"size", info.size},
          {"version", info.version},
          {"mtime", info.mtime}};
}

Response JsonResponse(int status, const boost::json::value& value) {
  return Response::Json(status, boost::json::serialize(value));
}

Response NoContent() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace codeyard::server
