#include "core/files/archive_zip.hpp"

#include <zlib.h>

#include <ctime>
#include <limits>

#include "core/try.hpp"

namespace codeyard::files {
namespace {

constexpr std::size_t kFlushBytes = std::size_t{64} << 10;
constexpr uint32_t kMax32 = 0xFFFFFFFFu;
constexpr uint16_t kMax16 = 0xFFFFu;
constexpr uint16_t kFlags = (1u << 3) | (1u << 11);  // data descriptor, UTF-8 names
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;
constexpr uint16_t kVersion = 20;    // 2.0: deflate, folders
constexpr uint16_t kVersion64 = 45;  // 4.5: zip64
constexpr uint16_t kMadeByUnix = 3u << 8;

void Le16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void Le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void Le64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The DOS date and time of `mtime_ms` in UTC (zip has no zone); 1980-01-01 at the earliest.
void DosTime(int64_t mtime_ms, uint16_t& time, uint16_t& date) {
  std::time_t secs = static_cast<std::time_t>(mtime_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  if (tm.tm_year < 80) {
    time = 0;
    date = (1u << 5) | 1u;
    return;
  }
  time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  date = static_cast<uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

std::unexpected<Error> Cancelled() {
  return Fail(Error::Code::kAborted, "archive: the reader went away");
}

}  // namespace

ZipWriter::ZipWriter(const ArchiveSink& sink) : sink_(sink) { buffer_.reserve(kFlushBytes * 2); }

Result<void> ZipWriter::Put(std::string_view bytes) {
  buffer_.append(bytes);
  offset_ += bytes.size();
  if (buffer_.size() >= kFlushBytes) return Flush();
  return {};
}

Result<void> ZipWriter::Flush() {
  if (buffer_.empty()) return {};
  if (!sink_(buffer_)) return Cancelled();
  buffer_.clear();
  return {};
}

Result<void> ZipWriter::LocalHeader(const Central& e) {
  std::string h;
  h.reserve(30 + e.name.size());
  Le32(h, 0x04034b50);
  Le16(h, kVersion);
  Le16(h, kFlags);
  Le16(h, e.method);
  Le16(h, e.dos_time);
  Le16(h, e.dos_date);
  Le32(h, 0);  // CRC and sizes follow in the data descriptor
  Le32(h, 0);
  Le32(h, 0);
  Le16(h, static_cast<uint16_t>(e.name.size()));
  Le16(h, 0);
  h += e.name;
  return Put(h);
}

Result<void> ZipWriter::AddFolder(std::string_view name, int64_t mtime_ms) {
  Central e;
  e.name = std::string(name) + "/";
  e.folder = true;
  e.method = kMethodStored;
  e.offset = offset_;
  DosTime(mtime_ms, e.dos_time, e.dos_date);
  CY_CHECK(LocalHeader(e));
  std::string d;
  Le32(d, 0x08074b50);
  Le32(d, 0);
  Le32(d, 0);
  Le32(d, 0);
  CY_CHECK(Put(d));
  central_.push_back(std::move(e));
  return {};
}

Result<void> ZipWriter::AddFile(std::string_view name, std::string_view content, int64_t mtime_ms) {
  if (content.size() >= kMax32) {
    return Fail(Error::Code::kResourceExhausted,
                "archive: a file of 4 GiB or more cannot go into the zip: " + std::string(name));
  }
  if (name.size() > kMax16) {
    return Fail(Error::Code::kInvalidArgument, "archive: a name over 65535 bytes");
  }
  Central e;
  e.name = std::string(name);
  e.method = kMethodDeflate;
  e.offset = offset_;
  e.size = content.size();
  DosTime(mtime_ms, e.dos_time, e.dos_date);
  e.crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0),
                                      reinterpret_cast<const Bytef*>(content.data()),
                                      static_cast<uInt>(content.size())));
  CY_CHECK(LocalHeader(e));

  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Fail(Error::Code::kInternal, "archive: zlib deflateInit2 failed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  z.avail_in = static_cast<uInt>(content.size());
  std::string out(kFlushBytes, '\0');
  const uint64_t before = offset_;
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    status = deflate(&z, Z_FINISH);
    if (status == Z_STREAM_ERROR) {
      deflateEnd(&z);
      return Fail(Error::Code::kInternal, "archive: zlib deflate failed");
    }
    auto put = Put(std::string_view(out.data(), out.size() - z.avail_out));
    if (!put) {
      deflateEnd(&z);
      return put;
    }
  }
  deflateEnd(&z);
  e.compressed = offset_ - before;

  std::string d;
  Le32(d, 0x08074b50);
  Le32(d, e.crc);
  Le32(d, static_cast<uint32_t>(e.compressed));
  Le32(d, static_cast<uint32_t>(e.size));
  CY_CHECK(Put(d));
  central_.push_back(std::move(e));
  return {};
}

Result<void> ZipWriter::Finish() {
  const uint64_t cd_start = offset_;
  for (const Central& e : central_) {
    const bool big_offset = e.offset >= kMax32;
    std::string extra;
    if (big_offset) {  // zip64 extended information: only the field that overflowed
      Le16(extra, 0x0001);
      Le16(extra, 8);
      Le64(extra, e.offset);
    }
    std::string h;
    h.reserve(46 + e.name.size() + extra.size());
    Le32(h, 0x02014b50);
    Le16(h, kMadeByUnix | (big_offset ? kVersion64 : kVersion));
    Le16(h, big_offset ? kVersion64 : kVersion);
    Le16(h, kFlags);
    Le16(h, e.method);
    Le16(h, e.dos_time);
    Le16(h, e.dos_date);
    Le32(h, e.crc);
    Le32(h, static_cast<uint32_t>(e.compressed));
    Le32(h, static_cast<uint32_t>(e.size));
    Le16(h, static_cast<uint16_t>(e.name.size()));
    Le16(h, static_cast<uint16_t>(extra.size()));
    Le16(h, 0);  // comment
    Le16(h, 0);  // disk
    Le16(h, 0);  // internal attributes
    // Unix mode in the high half, the MS-DOS folder bit in the low one.
    Le32(h, e.folder ? (0040755u << 16) | 0x10u : (0100644u << 16));
    Le32(h, big_offset ? kMax32 : static_cast<uint32_t>(e.offset));
    h += e.name;
    h += extra;
    CY_CHECK(Put(h));
  }
  const uint64_t cd_end = offset_;
  const uint64_t cd_size = cd_end - cd_start;
  const uint64_t count = central_.size();
  const bool zip64 = count >= kMax16 || cd_start >= kMax32 || cd_size >= kMax32;
  std::string t;
  if (zip64) {
    Le32(t, 0x06064b50);  // zip64 end of central directory record
    Le64(t, 44);
    Le16(t, kMadeByUnix | kVersion64);
    Le16(t, kVersion64);
    Le32(t, 0);
    Le32(t, 0);
    Le64(t, count);
    Le64(t, count);
    Le64(t, cd_size);
    Le64(t, cd_start);
    Le32(t, 0x07064b50);  // its locator
    Le32(t, 0);
    Le64(t, cd_end);
    Le32(t, 1);
  }
  Le32(t, 0x06054b50);
  Le16(t, 0);
  Le16(t, 0);
  Le16(t, zip64 ? kMax16 : static_cast<uint16_t>(count));
  Le16(t, zip64 ? kMax16 : static_cast<uint16_t>(count));
  Le32(t, zip64 ? kMax32 : static_cast<uint32_t>(cd_size));
  Le32(t, zip64 ? kMax32 : static_cast<uint32_t>(cd_start));
  Le16(t, 0);
  CY_CHECK(Put(t));
  return Flush();
}

}  // namespace codeyard::files
