#include "codeyard/error.hpp"

namespace codeyard {

Error Error::WithContext(std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += message_;
  Error out(code_, std::move(message));
  out.limit_ = limit_;
  out.retry_after_s_ = retry_after_s_;
  return out;
}

Error Error::WithLimit(std::string_view limit, int64_t retry_after_s) const {
  Error out = *this;
  out.limit_ = std::string(limit);
  out.retry_after_s_ = retry_after_s < 0 ? 0 : retry_after_s;
  return out;
}

std::string Error::ToString() const {
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

std::string_view CodeName(Error::Code code) noexcept {
  switch (code) {
    case Error::Code::kInvalidArgument:
      return "invalid_argument";
    case Error::Code::kNotFound:
      return "not_found";
    case Error::Code::kAlreadyExists:
      return "already_exists";
    case Error::Code::kConflict:
      return "conflict";
    case Error::Code::kFailedPrecondition:
      return "failed_precondition";
    case Error::Code::kPermissionDenied:
      return "permission_denied";
    case Error::Code::kUnauthenticated:
      return "unauthenticated";
    case Error::Code::kResourceExhausted:
      return "resource_exhausted";
    case Error::Code::kAborted:
      return "aborted";
    case Error::Code::kUnavailable:
      return "unavailable";
    case Error::Code::kDeadlineExceeded:
      return "deadline_exceeded";
    case Error::Code::kUnimplemented:
      return "unimplemented";
    case Error::Code::kDataLoss:
      return "data_loss";
    case Error::Code::kInternal:
      return "internal";
  }
  return "internal";
}

Error::Code CodeFromName(std::string_view name) noexcept {
  for (int i = 0; i <= static_cast<int>(Error::Code::kInternal); ++i) {
    const auto code = static_cast<Error::Code>(i);
    if (CodeName(code) == name) return code;
  }
  return Error::Code::kInternal;
}

}  // namespace codeyard
