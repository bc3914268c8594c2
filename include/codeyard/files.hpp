// The files of a workspace, as the IDE and the API see them: a tree of folders and files
// held in storage (the source of truth), edited with optimistic concurrency. Every call
// names the calling user; a workspace the user does not own behaves exactly like one that
// does not exist (kNotFound), so ids cannot be probed. Paths are relative and normalized
// ("src/main.py"); NormalizePath states the rules. Caps on file and workspace size are
// kResourceExhausted. Changes record activity on the workspace (its last_active_at, which
// keeps its pod from being stopped as idle); reads do not. A Files object is safe to use
// from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeyard/error.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/records.hpp"

namespace codeyard {

// Caps on what storage holds; each is a config key (in parentheses) and its refusal is
// kResourceExhausted carrying that key (Error::limit()).
struct FileLimits {
  int64_t max_file_bytes = int64_t{10} << 20;        // files.max_file_bytes
  int64_t max_workspace_bytes = int64_t{100} << 20;  // files.max_workspace_bytes
  // Files and folders in one workspace (files.max_workspace_entries). Well under what a
  // pod's listing returns (200,000), so the sync of a workspace at its quota always works.
  int64_t max_workspace_entries = 10000;
  int64_t max_user_bytes = int64_t{1} << 30;  // files.max_user_bytes: over all workspaces
  int64_t max_user_entries = 50000;           // files.max_user_entries: over all workspaces
};

// The character rule every name shares (file paths and workspace names): valid UTF-8, no
// control character (C0, DEL, C1), no invisible or bidirectional-control character
// (U+200B-U+200F, U+202A-U+202E, U+2060, U+2066-U+2069, U+FEFF, U+061C); returns the text
// in Unicode NFC, so that "é" typed as one code point or as "e" + U+0301 is one name.
// kInvalidArgument naming the rule; `what` starts the message ("workspace name").
[[nodiscard]] Result<std::string> NormalizeName(std::string_view what, std::string_view text);

// Normalizes a workspace path: the rule of NormalizeName (so the result is NFC), then strips
// one leading "./" and trailing '/', collapses repeated '/'. kInvalidArgument, naming the
// rule, for: empty, absolute ("/x"), a "." or ".." component, a component over 255 bytes, or
// a path over 4096 bytes. The API and the sync both use it: a path created in a pod that
// this function would change or refuse is not stored (the sync reports it).
[[nodiscard]] Result<std::string> NormalizePath(std::string_view path);

// One page of a list: `limit` items (1-200, default 50) after `cursor` (empty: the first
// page; otherwise the next_cursor of the previous page, opaque to the caller). kInvalidArgument
// for a limit outside 1-200 or a cursor this list did not make.
struct PageRequest {
  int64_t limit = 50;
  std::string cursor;
};
inline constexpr int64_t kMaxPageLimit = 200;

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  // nullopt on the last page
};

struct FileInfo {
  std::string path;
  ItemKind kind = ItemKind::kFile;
  int64_t size = 0;
  std::string sha256;  // hex, files only
  int64_t version = 1;
  int64_t mtime = 0;  // ms since the epoch
};

struct FileContent {
  FileInfo info;
  std::string content;  // bytes
};

class Files {
 public:
  explicit Files(std::shared_ptr<Platform> platform, FileLimits limits = {});

  // Every file and folder, ordered by path.
  [[nodiscard]] Result<std::vector<FileInfo>> Tree(std::string_view user_id,
                                                   std::string_view workspace_id) const;
  // One page of the tree, ordered by path (byte order), keyset-paginated.
  [[nodiscard]] Result<Page<FileInfo>> Tree(std::string_view user_id, std::string_view workspace_id,
                                            const PageRequest& page) const;

  // kNotFound for a missing path; kInvalidArgument for a folder.
  [[nodiscard]] Result<FileContent> Read(std::string_view user_id, std::string_view workspace_id,
                                         std::string_view path) const;

  // Creates or replaces a file, creating missing parent folders. `expected_version`:
  // nullopt writes whatever is there (last writer wins), 0 requires that nothing exists at
  // the path (kAlreadyExists otherwise), N requires the file to be at version N (kConflict
  // otherwise, also when it is gone, and nothing changes). kFailedPrecondition when a parent
  // is a file or a folder is at the path; kResourceExhausted over a cap.
  [[nodiscard]] Result<FileInfo> Write(std::string_view user_id, std::string_view workspace_id,
                                       std::string_view path, std::string_view content,
                                       std::optional<int64_t> expected_version = std::nullopt);

  // Creates a folder and missing parents; an existing folder is fine (returns it).
  [[nodiscard]] Result<FileInfo> MakeDir(std::string_view user_id, std::string_view workspace_id,
                                         std::string_view path);

  // Deletes a file or a folder with everything in it. kNotFound, kConflict as above.
  [[nodiscard]] Result<void> Delete(std::string_view user_id, std::string_view workspace_id,
                                    std::string_view path,
                                    std::optional<int64_t> expected_version = std::nullopt);

  // Renames or moves a file or folder (with its contents), creating missing parents of `to`.
  // kAlreadyExists when `to` is taken; kInvalidArgument when moving a folder into itself.
  [[nodiscard]] Result<FileInfo> Move(std::string_view user_id, std::string_view workspace_id,
                                      std::string_view from, std::string_view to,
                                      std::optional<int64_t> expected_version = std::nullopt);

  [[nodiscard]] const FileLimits& limits() const { return limits_; }

 private:
  std::shared_ptr<Platform> owner_;  // keeps platform_ alive
  Platform& platform_;
  FileLimits limits_;
};

}  // namespace codeyard
