#include "executor/kubernetes/kube_errors.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

namespace codeyard::kube {
namespace {

namespace json = boost::json;

std::string StringField(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

// The fields of details.causes[] that say what was wrong, "metadata.name: Invalid value".
std::string CauseFields(const json::object& status) {
  const auto* details = status.if_contains("details");
  if (details == nullptr || !details->is_object()) return {};
  const auto* causes = details->get_object().if_contains("causes");
  if (causes == nullptr || !causes->is_array()) return {};
  std::string fields;
  for (const auto& cause : causes->get_array()) {
    if (!cause.is_object()) continue;
    const std::string field = StringField(cause.get_object(), "field");
    if (field.empty()) continue;
    if (!fields.empty()) fields += ", ";
    fields += field;
  }
  return fields;
}

}  // namespace

Error ErrorFromStatus(long http_status, std::string_view body, std::string_view what) {
  std::string reason;
  std::string message;
  std::string fields;
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const auto& status = parsed.get_object();
    reason = StringField(status, "reason");
    message = StringField(status, "message");
    fields = CauseFields(status);
  }
  if (message.empty()) {
    // Not a Status (a proxy's HTML page, an empty body): keep the start of it.
    std::string text(body.substr(0, 200));
    std::replace(text.begin(), text.end(), '\n', ' ');
    message = "HTTP " + std::to_string(http_status) + (text.empty() ? "" : ": " + text);
  }
  std::string full = "kubernetes: " + std::string(what) + ": " + message;
  Error::Code code = Error::Code::kInternal;
  switch (http_status) {
    case 400:
      code = Error::Code::kInvalidArgument;
      break;
    case 401:
      code = Error::Code::kUnauthenticated;
      break;
    case 403:
      // A quota refusal says so in the message ("exceeded quota: ..."); RBAC names the verb
      // and resource in its own message, which `full` carries as is.
      code = message.find("exceeded quota") != std::string::npos ? Error::Code::kResourceExhausted
                                                                 : Error::Code::kPermissionDenied;
      break;
    case 404:
      code = Error::Code::kNotFound;
      break;
    case 409:
      code = reason == "AlreadyExists" ? Error::Code::kAlreadyExists : Error::Code::kConflict;
      break;
    case 410:
      code = Error::Code::kAborted;
      full += " (expired: list again)";
      break;
    case 422:
      code = Error::Code::kInvalidArgument;
      if (!fields.empty()) full += " (field " + fields + ")";
      break;
    case 429:
      code = Error::Code::kUnavailable;
      break;
    default:
      if (http_status >= 500) code = Error::Code::kUnavailable;
      break;
  }
  if (reason == "Expired" || reason == "Gone") code = Error::Code::kAborted;
  return Error(code, std::move(full));
}

bool IsExpired(const Error& error) noexcept {
  // The client makes kAborted only from 410 Gone / reason Expired.
  return error.code() == Error::Code::kAborted;
}

bool IsRetryableStatus(long http_status) noexcept {
  return http_status == 429 || (http_status >= 500 && http_status != 501);
}

std::chrono::milliseconds BackoffDelay(const Backoff& backoff, int attempt, double random01,
                                       std::optional<std::chrono::seconds> retry_after) {
  auto delay = backoff.initial;
  for (int i = 0; i < attempt && delay < backoff.max; ++i) delay *= 2;
  delay = std::min(delay, backoff.max);
  // Full delay d becomes a random point in [d/2, d): retries of many clients spread out.
  const double clamped = std::clamp(random01, 0.0, 0.999999);
  const auto jittered = std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(delay.count()) * (0.5 + clamped / 2)));
  if (retry_after && *retry_after > jittered) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after);
  }
  return jittered;
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) noexcept {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r' || value.back() == '\n')) {
    value.remove_suffix(1);
  }
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

}  // namespace codeyard::kube
