#include <string>

#include "codeyard/backend/storage.hpp"

namespace codeyard {
namespace {

Error TypeMismatch(std::size_t i, const Value& v, const char* wanted) {
  static constexpr const char* kNames[] = {"NULL", "integer", "double", "text", "blob"};
  return Error(Error::Code::kInternal, "storage: column " + std::to_string(i) + " is " +
                                           kNames[v.index()] + ", expected " + wanted);
}

}  // namespace

Result<int64_t> Row::Int(std::size_t i) const {
  const Value& v = cells_.at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  return Fail(TypeMismatch(i, v, "integer"));
}

Result<double> Row::Double(std::size_t i) const {
  const Value& v = cells_.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  return Fail(TypeMismatch(i, v, "double"));
}

Result<std::string> Row::Text(std::size_t i) const {
  const Value& v = cells_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  return Fail(TypeMismatch(i, v, "text"));
}

Result<std::string> Row::TakeBytes(std::size_t i) {
  Value& v = cells_.at(i);
  std::string out;
  if (auto* b = std::get_if<Blob>(&v)) {
    out = std::move(b->bytes);
  } else if (auto* s = std::get_if<std::string>(&v)) {
    out = std::move(*s);
  } else {
    return Fail(TypeMismatch(i, v, "blob"));
  }
  v = std::monostate{};
  return out;
}

Result<void> Storage::CheckSpace(int64_t /*min_free_bytes*/) { return {}; }

Result<void> Storage::Maintain() {
  return Fail(Error::Code::kUnimplemented, "this storage backend has no maintenance task");
}

}  // namespace codeyard
