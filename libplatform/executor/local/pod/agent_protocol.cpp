#include "executor/local/pod/agent_protocol.hpp"

#include <algorithm>

namespace codeyard::local {
namespace json = boost::json;

namespace {

Error Bad(std::string_view what) {
  return Error(Error::Code::kInternal, "agent protocol: " + std::string(what));
}

int64_t Int(const json::object& o, std::string_view key, int64_t fallback = 0) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return fallback;
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string_view KindName(FileKind kind) {
  switch (kind) {
    case FileKind::kDirectory:
      return "directory";
    case FileKind::kSymlink:
      return "symlink";
    case FileKind::kFile:
      break;
  }
  return "file";
}

FileKind KindFromName(std::string_view name) {
  if (name == "directory") return FileKind::kDirectory;
  if (name == "symlink") return FileKind::kSymlink;
  return FileKind::kFile;
}

}  // namespace

std::string EncodeBody(const AgentBody& body) {
  const std::string text = json::serialize(body.json);
  std::string out;
  out.reserve(4 + text.size() + body.blob.size());
  const auto size = static_cast<uint32_t>(text.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xffU));
  }
  out += text;
  out += body.blob;
  return out;
}

Result<AgentBody> DecodeBody(std::string_view bytes) {
  if (bytes.size() < 4) return std::unexpected(Bad("a body shorter than its header"));
  uint32_t size = 0;
  for (size_t i = 0; i < 4; ++i) size = (size << 8) | static_cast<unsigned char>(bytes[i]);
  if (size > bytes.size() - 4) return std::unexpected(Bad("a body's JSON runs past its end"));
  boost::system::error_code ec;
  json::value parsed = json::parse(bytes.substr(4, size), ec);
  if (ec || !parsed.is_object()) return std::unexpected(Bad("a body's JSON is not an object"));
  AgentBody body;
  body.json = std::move(parsed.get_object());
  body.blob.assign(bytes.substr(4 + size));
  return body;
}

void PutFileData(AgentBody& body, std::span<const FileData> files) {
  json::array list;
  list.reserve(files.size());
  for (const FileData& file : files) {
    json::object o;
    o["path"] = file.path;
    o["kind"] = KindName(file.kind);
    o["mode"] = file.mode;
    o["size"] = file.content.size();
    if (file.mtime_ns) o["mtime_ns"] = *file.mtime_ns;
    list.emplace_back(std::move(o));
    body.blob += file.content;
  }
  body.json["files"] = std::move(list);
}

Result<std::vector<FileData>> TakeFileData(const AgentBody& body) {
  const auto* files = body.json.if_contains("files");
  if (files == nullptr || !files->is_array()) return std::unexpected(Bad("no \"files\""));
  std::vector<FileData> out;
  size_t offset = 0;
  for (const auto& item : files->get_array()) {
    if (!item.is_object()) return std::unexpected(Bad("a file is not an object"));
    const auto& o = item.get_object();
    FileData file;
    file.path = Str(o, "path");
    file.kind = KindFromName(Str(o, "kind"));
    file.mode = static_cast<uint32_t>(Int(o, "mode", 0644));
    if (o.contains("mtime_ns")) file.mtime_ns = Int(o, "mtime_ns");
    const auto size = static_cast<size_t>(Int(o, "size"));
    if (size > body.blob.size() - offset) return std::unexpected(Bad("a file past the blob"));
    file.content.assign(body.blob, offset, size);
    offset += size;
    out.push_back(std::move(file));
  }
  return out;
}

json::array ToJson(std::span<const FileEntry> entries) {
  json::array out;
  out.reserve(entries.size());
  for (const FileEntry& entry : entries) {
    json::object o;
    o["path"] = entry.path;
    o["kind"] = KindName(entry.kind);
    o["size"] = entry.size;
    o["mtime_ns"] = entry.mtime_ns;
    o["mode"] = entry.mode;
    if (!entry.sha256.empty()) o["sha256"] = entry.sha256;
    if (!entry.target.empty()) o["target"] = entry.target;
    out.emplace_back(std::move(o));
  }
  return out;
}

Result<std::vector<FileEntry>> FileEntriesFromJson(const json::value& value) {
  if (!value.is_array()) return std::unexpected(Bad("entries are not an array"));
  std::vector<FileEntry> out;
  out.reserve(value.get_array().size());
  for (const auto& item : value.get_array()) {
    if (!item.is_object()) return std::unexpected(Bad("an entry is not an object"));
    const auto& o = item.get_object();
    FileEntry entry;
    entry.path = Str(o, "path");
    entry.kind = KindFromName(Str(o, "kind"));
    entry.size = static_cast<uint64_t>(Int(o, "size"));
    entry.mtime_ns = Int(o, "mtime_ns");
    entry.mode = static_cast<uint32_t>(Int(o, "mode"));
    entry.sha256 = Str(o, "sha256");
    entry.target = Str(o, "target");
    out.push_back(std::move(entry));
  }
  return out;
}

json::object ToJson(const ListFilesOptions& options) {
  json::object o;
  o["under"] = options.under;
  o["with_sha256"] = options.with_sha256;
  o["skip_dirs"] = ToJson(std::span<const std::string>(options.skip_dirs));
  return o;
}

ListFilesOptions ListFilesOptionsFromJson(const json::object& o) {
  ListFilesOptions options;
  options.under = Str(o, "under");
  const auto* sha = o.if_contains("with_sha256");
  options.with_sha256 = sha == nullptr || !sha->is_bool() || sha->get_bool();
  if (const auto* skip = o.if_contains("skip_dirs")) options.skip_dirs = StringsFromJson(*skip);
  return options;
}

json::array ToJson(std::span<const std::string> strings) {
  json::array out;
  out.reserve(strings.size());
  for (const auto& s : strings) out.emplace_back(s);
  return out;
}

std::vector<std::string> StringsFromJson(const json::value& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& item : value.get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

void AppendChunked(std::string& out, FrameType type, std::string_view data) {
  do {
    const size_t take = std::min(data.size(), kMaxFramePayload);
    AppendFrame(out, type, data.substr(0, take));
    data.remove_prefix(take);
  } while (!data.empty());
}

}  // namespace codeyard::local
