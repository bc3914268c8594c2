// A streaming zip writer (PKWARE APPNOTE 6.3): each entry is a local header with a data
// descriptor (general purpose bit 3), so sizes and CRC follow the data and nothing is written
// twice; names carry the UTF-8 flag (bit 11); files are deflated with zlib (raw deflate, its
// default level), folders are empty entries ending in '/'. The central directory is kept in
// memory and written by Finish, with zip64 end records when an offset passes 4 GiB or there
// are 65,535 entries or more. Output goes to a sink in blocks of about 64 KiB. One writer is
// used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/archive.hpp"
#include "codeyard/error.hpp"

namespace codeyard::files {

class ZipWriter {
 public:
  explicit ZipWriter(const ArchiveSink& sink);

  // A folder entry; `name` without the trailing '/'. `mtime_ms` becomes the DOS time (UTC).
  [[nodiscard]] Result<void> AddFolder(std::string_view name, int64_t mtime_ms);
  // A file entry with all of its content (kResourceExhausted for 4 GiB or more).
  [[nodiscard]] Result<void> AddFile(std::string_view name, std::string_view content,
                                     int64_t mtime_ms);
  // The central directory and end records; flushes everything to the sink.
  [[nodiscard]] Result<void> Finish();

  [[nodiscard]] int64_t bytes_out() const { return offset_; }

 private:
  struct Central {
    std::string name;
    uint32_t crc = 0;
    uint64_t compressed = 0;
    uint64_t size = 0;
    uint64_t offset = 0;
    uint16_t method = 0;
    uint16_t dos_time = 0;
    uint16_t dos_date = 0;
    bool folder = false;
  };

  [[nodiscard]] Result<void> Put(std::string_view bytes);
  [[nodiscard]] Result<void> Flush();
  [[nodiscard]] Result<void> LocalHeader(const Central& entry);

  const ArchiveSink& sink_;
  std::string buffer_;   // bytes not yet handed to the sink
  uint64_t offset_ = 0;  // bytes written so far (flushed or buffered)
  std::vector<Central> central_;
};

}  // namespace codeyard::files
