#include <cstdio>

#include "bench_storage.hpp"
#include "codeyard/id.hpp"

namespace codeyard::bench {
namespace {

// 2026-11-22T00:00:00Z, so stored timestamps look like the day the numbers were taken.
constexpr int64_t kBaseMillis = 1795305600000;

std::string FixedUuid(unsigned prefix, unsigned long long n) {
  char buf[40];
  (void)std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012llx", prefix, n);
  return buf;
}

}  // namespace

Workload::Workload(int items, std::size_t size)
    : items_(items),
      size_(size),
      user_id_(FixedUuid(0xbe000000, 1)),
      workspace_id_(FixedUuid(0xbe000000, 2)) {
  ids_.reserve(Index(items));
  paths_.reserve(Index(items));
  for (int i = 0; i < items; ++i) {
    ids_.push_back(FixedUuid(0xbe100000, static_cast<unsigned long long>(i)));
    char path[32];
    (void)std::snprintf(path, sizeof path, "file-%06d.txt", i);
    paths_.emplace_back(path);
  }
}

int64_t Workload::Millis(int i, int64_t version) {
  return kBaseMillis + int64_t{i} * 1000 + version;
}

void Payload::Fill(int item, int64_t version, std::size_t size) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n";
  // xorshift64* from a seed made of (item, version): fixed, yet different per item.
  uint64_t state =
      (static_cast<uint64_t>(item) << 8 | static_cast<uint64_t>(version)) * 0x9e3779b97f4a7c15ULL +
      1;
  content.resize(size);
  for (char& c : content) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    c = kAlphabet[(state * 0x2545f4914f6cdd1dULL) >> 58];
  }
  sha256 = Sha256Hex(content);
}

}  // namespace codeyard::bench
