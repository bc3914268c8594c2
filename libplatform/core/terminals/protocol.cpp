#include "core/terminals/protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace codeyard::terminal {
namespace {

constexpr int64_t kMaxDimension = 1000;

Result<boost::json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) {
    return Fail(Error::Code::kInvalidArgument, std::string(what) + " must be a JSON object");
  }
  return std::move(value.as_object());
}

// An optional integer field in [1, kMaxDimension]; keeps `*out` when absent.
Result<void> Dimension(const boost::json::object& o, std::string_view name, uint16_t* out) {
  const boost::json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return {};
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(kMaxDimension)) {
    n = static_cast<int64_t>(v->as_uint64());
  } else {
    n = -1;
  }
  if (n < 1 || n > kMaxDimension) {
    return Fail(
        Error::Code::kInvalidArgument,
        std::string(name) + " must be an integer from 1 to " + std::to_string(kMaxDimension));
  }
  *out = static_cast<uint16_t>(n);
  return {};
}

Result<TerminalSize> SizeOf(const boost::json::object& o, TerminalSize size) {
  if (auto cols = Dimension(o, "cols", &size.cols); !cols) return Fail(cols.error());
  if (auto rows = Dimension(o, "rows", &size.rows); !rows) return Fail(rows.error());
  return size;
}

}  // namespace

Result<Hello> ParseHello(std::string_view message) {
  auto object = ParseObject(message, "the hello");
  if (!object) return Fail(object.error());
  Hello hello;
  const boost::json::value* token = object->if_contains("token");
  if (token == nullptr || !token->is_string() || token->as_string().empty()) {
    return Fail(Error::Code::kInvalidArgument, "the hello needs a \"token\" (an access token)");
  }
  hello.token = std::string(token->as_string());
  auto size = SizeOf(*object, hello.size);
  if (!size) return Fail(size.error());
  hello.size = *size;
  if (const boost::json::value* ro = object->if_contains("readonly"); ro != nullptr) {
    if (!ro->is_bool()) return Fail(Error::Code::kInvalidArgument, "readonly must be a boolean");
    hello.readonly = ro->as_bool();
  }
  if (const boost::json::value* n = object->if_contains("terminal"); n != nullptr) {
    const bool ok = (n->is_int64() && n->as_int64() >= 1 && n->as_int64() <= 64) ||
                    (n->is_uint64() && n->as_uint64() >= 1 && n->as_uint64() <= 64);
    if (!ok) {
      return Fail(Error::Code::kInvalidArgument, "terminal must be an integer from 1 to 64");
    }
    hello.terminal = static_cast<int>(n->to_number<int64_t>());
  }
  return hello;
}

Result<TerminalSize> ParseResize(std::string_view payload) {
  auto object = ParseObject(payload, "a resize");
  if (!object) return Fail(object.error());
  if (!object->contains("cols") || !object->contains("rows")) {
    return Fail(Error::Code::kInvalidArgument, "a resize needs \"cols\" and \"rows\"");
  }
  return SizeOf(*object, TerminalSize{});
}

std::string Message(char type, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 1);
  out += type;
  out += payload;
  return out;
}

std::string StatusMessage(const boost::json::object& status) {
  return Message(kStatus, boost::json::serialize(status));
}

Close CloseFor(const Error& error) {
  switch (error.code()) {
    case Error::Code::kUnauthenticated:
      return {kCloseUnauthenticated, error.message()};
    case Error::Code::kNotFound:
    case Error::Code::kPermissionDenied:
      return {kCloseNotFound, "workspace not found"};
    case Error::Code::kResourceExhausted:
      return {kCloseLimit, error.message()};
    case Error::Code::kUnavailable:
      return {kCloseTryAgain, error.message()};
    case Error::Code::kInvalidArgument:
      return {kCloseInvalidPayload, error.message()};
    default:
      return {kCloseInternal, error.message()};
  }
}

}  // namespace codeyard::terminal
