// Zip archives of a workspace's stored files, written as a stream: a folder (or the whole
// workspace) becomes a zip whose bytes go to a sink as they are made, one stored file read at a
// time, so an archive never sits whole in memory (the IDE's "Download folder", GET
// /api/v1/workspaces/{id}/archive). Entries are deflated (zlib, its default level) with data
// descriptors, names in UTF-8; zip64 records are added when offsets or the entry count outgrow
// the classic format. The archive reads storage (the source of truth), never the pod.
// An Archives object is safe to use from many threads; one Write runs on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/files.hpp"
#include "codeyard/platform.hpp"

namespace codeyard {

// What one archive will hold, decided before its first byte is written (so that a refusal is
// an error, not a broken download).
struct ArchivePlan {
  std::string user_id;
  std::string workspace_id;
  std::string root;  // the folder archived ("" = the whole workspace), normalized
  // The file name to offer ("src.zip", "<workspace name>.zip").
  std::string file_name;
  // The files and folders, by path; their names in the zip are relative to `root`'s parent
  // (a folder "a/src" gives "src/..."), or to the workspace for the whole workspace.
  std::vector<FileInfo> entries;
  int64_t total_bytes = 0;  // the files' sizes, uncompressed
};

struct ArchiveStats {
  int64_t files = 0;
  int64_t folders = 0;
  int64_t bytes_in = 0;   // file content read from storage
  int64_t bytes_out = 0;  // zip bytes handed to the sink
  int64_t skipped = 0;    // files deleted between the plan and their turn
};

// Receives the zip's bytes in order; returns false when nobody reads any more (the download
// was cancelled), which ends the Write with kCancelled.
using ArchiveSink = std::function<bool(std::string_view bytes)>;

class Archives {
 public:
  Archives(std::shared_ptr<Platform> platform, std::shared_ptr<Files> files);

  // The plan for `dir` ("" or "/" for the whole workspace). kNotFound for a workspace the user
  // does not own and for a missing folder; kInvalidArgument for a bad path or a file.
  [[nodiscard]] Result<ArchivePlan> Plan(std::string_view user_id, std::string_view workspace_id,
                                         std::string_view dir) const;

  // Writes the zip of `plan` to `sink`, reading each file from storage at its turn (a file
  // changed since the plan goes in as it is now; one deleted since is left out). Memory: one
  // file's content, the deflate state and the central directory (about 100 bytes an entry).
  [[nodiscard]] Result<ArchiveStats> Write(const ArchivePlan& plan, const ArchiveSink& sink) const;

 private:
  std::shared_ptr<Platform> platform_;
  std::shared_ptr<Files> files_;
};

}  // namespace codeyard
