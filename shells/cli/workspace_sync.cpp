// Local folder <-> workspace sync for `codeyard workspace push|pull` (see workspace_sync.hpp).
#include "workspace_sync.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "api_client.hpp"
#include "codeyard/sync_rule.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStateDir = ".codeyard";

// What both sides leave alone: the sync engine's defaults and the rules of the local folder's
// `.syncignore` and of the workspace's (a path either ignores is never pushed, pulled or
// deleted), and always our own state folder.
class Ignores {
 public:
  Ignores(const std::string& local_text, const std::string& remote_text)
      : local_(local_text + "\n/" + std::string(kStateDir) + "/\n"), remote_(remote_text) {}
  [[nodiscard]] bool operator()(const std::string& path, bool is_dir) const {
    return local_.Ignored(path, is_dir) || remote_.Ignored(path, is_dir);
  }

 private:
  SyncIgnoreRules local_;
  SyncIgnoreRules remote_;
};

struct Agreed {
  int64_t version = 0;
  std::string sha256;
};

struct Remote {
  int64_t version = 0;
};

struct Report {
  std::vector<std::string> written;  // to the side the command moves towards
  std::vector<std::string> deleted;
  std::vector<std::pair<std::string, std::string>> conflicts;  // path, where the local one went
  int left = 0;  // changes of the other direction, for the other command
};

std::string Sha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string ReadLocal(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) Raise(Error(Error::Code::kPermissionDenied, "cannot read " + file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteLocal(const fs::path& file, const std::string& bytes) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path tmp = file.string() + ".codeyard-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) Raise(Error(Error::Code::kPermissionDenied, "cannot write " + file.string()));
  }
  fs::rename(tmp, file, ec);
  if (ec) Raise(Error(Error::Code::kPermissionDenied, "cannot write " + file.string()));
}

// Every regular file under `dir` (symlinks are not followed) that `ignored` lets through, by
// relative path.
std::map<std::string, fs::path> LocalFiles(const fs::path& dir, const Ignores& ignored) {
  std::map<std::string, fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    if (it->is_directory() && !it->is_symlink()) {
      if (ignored(rel, true)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || !it->is_regular_file() || ignored(rel, false)) continue;
    if (rel.ends_with(".codeyard-tmp")) continue;
    files.emplace(rel, it->path());
  }
  if (ec) Raise(Error(Error::Code::kNotFound, "cannot list " + dir.string() + ": " + ec.message()));
  return files;
}

fs::path StateFile(const fs::path& dir, const std::string& id) {
  return dir / kStateDir / ("sync-" + id + ".json");
}

std::map<std::string, Agreed> LoadState(const fs::path& file) {
  std::map<std::string, Agreed> state;
  std::ifstream in(file);
  if (!in) return state;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text.str(), ec);
  if (ec || !v.is_object() || !v.as_object().contains("files")) {
    Raise(Error(Error::Code::kDataLoss, file.string() + " is damaged; delete it to start over"));
  }
  for (const auto& [path, entry] : v.at("files").as_object()) {
    state[std::string(path)] =
        Agreed{entry.at("version").as_int64(), std::string(entry.at("sha256").as_string())};
  }
  return state;
}

void SaveState(const fs::path& file, const std::map<std::string, Agreed>& state) {
  boost::json::object files;
  for (const auto& [path, a] : state) {
    files[path] = boost::json::object{{"version", a.version}, {"sha256", a.sha256}};
  }
  WriteLocal(file, boost::json::serialize(boost::json::object{{"files", files}}) + "\n");
}

class Syncer {
 public:
  Syncer(ApiClient& api, std::string id, fs::path dir, bool push)
      : api_(api), id_(std::move(id)), dir_(std::move(dir)), push_(push) {}

  Report Run() {
    state_ = LoadState(StateFile(dir_, id_));
    std::map<std::string, Remote> remote;
    for (const auto& item : ListAll(api_, FilesBase("/tree"))) {
      if (item.at("kind").as_string() != "file") continue;
      remote[std::string(item.at("path").as_string())] = Remote{item.at("version").as_int64()};
    }
    const std::string rules_file(SyncIgnoreRules::kFileName);
    std::string local_rules;
    if (fs::is_regular_file(dir_ / rules_file) && !fs::is_symlink(dir_ / rules_file)) {
      local_rules = ReadLocal(dir_ / rules_file);
    }
    const Ignores ignored(local_rules, remote.contains(rules_file) ? Download(rules_file) : "");
    const auto local = LocalFiles(dir_, ignored);
    std::set<std::string> paths;
    for (const auto& [p, _] : local) paths.insert(p);
    for (const auto& [p, _] : remote) {
      if (!ignored(p, false)) paths.insert(p);
    }
    for (const auto& [p, _] : state_) {
      if (!ignored(p, false)) paths.insert(p);
    }

    const bool tty = StderrIsTty();
    size_t done = 0;
    for (const std::string& path : paths) {
      const auto l = local.find(path);
      const auto r = remote.find(path);
      const auto base = state_.find(path);
      std::string local_bytes;
      SideChange lc = SideChange::kNone;
      if (l != local.end()) {
        local_bytes = ReadLocal(l->second);
        lc = base == state_.end()                         ? SideChange::kCreated
             : Sha256(local_bytes) != base->second.sha256 ? SideChange::kChanged
                                                          : SideChange::kNone;
      } else if (base != state_.end()) {
        lc = SideChange::kDeleted;
      }
      SideChange rc = SideChange::kNone;
      if (r != remote.end()) {
        rc = base == state_.end()                        ? SideChange::kCreated
             : r->second.version != base->second.version ? SideChange::kChanged
                                                         : SideChange::kNone;
      } else if (base != state_.end()) {
        rc = SideChange::kDeleted;
      }
      Apply(path, DecideSync(lc, rc), local_bytes, r != remote.end() ? r->second.version : 0);
      if (tty) {
        std::fprintf(stderr, "\r%s: %zu/%zu files", push_ ? "push" : "pull", ++done, paths.size());
      }
      // Saved as it goes: an interrupted run leaves a state that matches what was done.
      if (dirty_) SaveState(StateFile(dir_, id_), state_);
      dirty_ = false;
    }
    if (tty && !paths.empty()) std::fprintf(stderr, "\n");
    SaveState(StateFile(dir_, id_), state_);
    return std::move(report_);
  }

 private:
  std::string FilesBase(const std::string& tail) const { return "/workspaces/" + id_ + tail; }
  std::string FileUrl(const std::string& path) const {
    return FilesBase("/files/" + EscapePath(path));
  }

  void Agree(const std::string& path, int64_t version, const std::string& sha) {
    state_[path] = Agreed{version, sha};
    dirty_ = true;
  }
  void Forget(const std::string& path) {
    state_.erase(path);
    dirty_ = true;
  }

  std::string Download(const std::string& path) {
    const HttpResponse got = api_.Raw("GET", FileUrl(path), "");
    if (got.status != 200) Raise(ErrorFromResponse(got).WithContext(path));
    return got.body;
  }

  // PUT with a precondition; the new version, or nullopt when the server moved meanwhile.
  std::optional<int64_t> Upload(const std::string& path, const std::string& bytes,
                                const std::string& precondition) {
    const HttpResponse put = api_.Raw("PUT", FileUrl(path), bytes,
                                      {precondition, "Content-Type: application/octet-stream"});
    if (put.status == 412 || put.status == 409) return std::nullopt;
    if (put.status < 200 || put.status > 299) Raise(ErrorFromResponse(put).WithContext(path));
    boost::system::error_code ec;
    const boost::json::value info = boost::json::parse(put.body, ec);
    if (ec || !info.is_object() || !info.as_object().contains("version")) {
      Raise(Error(Error::Code::kInternal, path + ": the server's answer has no version"));
    }
    return info.at("version").as_int64();
  }

  void Apply(const std::string& path, SyncAction action, const std::string& local_bytes,
             int64_t remote_version) {
    const auto base = state_.find(path);
    switch (action) {
      case SyncAction::kNothing:
        if (base != state_.end() && local_bytes.empty() && remote_version == 0 &&
            !fs::exists(dir_ / path)) {
          Forget(path);  // gone on both sides
        }
        return;
      case SyncAction::kCopyToRemote: {
        if (!push_) break;
        const std::string pre = remote_version != 0 && base != state_.end()
                                    ? "If-Match: \"" + std::to_string(base->second.version) + "\""
                                    : "If-None-Match: *";
        const auto version = Upload(path, local_bytes, pre);
        if (!version) {  // written on the server since we looked: both changed
          Compare(path, local_bytes);
          return;
        }
        Agree(path, *version, Sha256(local_bytes));
        report_.written.push_back(path);
        return;
      }
      case SyncAction::kDeleteRemote: {
        if (!push_) break;
        const HttpResponse del =
            api_.Raw("DELETE", FileUrl(path), "",
                     {"If-Match: \"" + std::to_string(base->second.version) + "\""});
        if (del.status == 412 || del.status == 409) break;  // changed there: a write wins
        if (del.status != 204 && del.status != 404) {
          Raise(ErrorFromResponse(del).WithContext(path));
        }
        Forget(path);
        report_.deleted.push_back(path);
        return;
      }
      case SyncAction::kCopyToLocal: {
        if (push_) break;
        const std::string bytes = Download(path);
        WriteLocal(dir_ / path, bytes);
        Agree(path, remote_version, Sha256(bytes));
        report_.written.push_back(path);
        return;
      }
      case SyncAction::kDeleteLocal: {
        if (push_) break;
        std::error_code ec;
        fs::remove(dir_ / path, ec);
        Forget(path);
        report_.deleted.push_back(path);
        return;
      }
      case SyncAction::kCompare:
        Compare(path, local_bytes);
        return;
    }
    ++report_.left;
  }

  // Both sides wrote: the same bytes agree; else the server's stays and ours is kept aside.
  void Compare(const std::string& path, const std::string& local_bytes) {
    const HttpResponse got = api_.Raw("GET", FileUrl(path), "");
    if (got.status != 200) Raise(ErrorFromResponse(got).WithContext(path));
    const int64_t version = ETagVersion(got);
    if (got.body == local_bytes) {
      Agree(path, version, Sha256(local_bytes));
      return;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const std::string aside = SyncConflictName(path, now);
    const auto aside_version = Upload(aside, local_bytes, "If-None-Match: *");
    if (!aside_version) {
      Raise(Error(Error::Code::kConflict, aside + " exists on the server; try again"));
    }
    WriteLocal(dir_ / aside, local_bytes);
    WriteLocal(dir_ / path, got.body);
    Agree(aside, *aside_version, Sha256(local_bytes));
    Agree(path, version, Sha256(got.body));
    report_.conflicts.emplace_back(path, aside);
  }

  static int64_t ETagVersion(const HttpResponse& response) {
    const auto v = response.headers.find("etag");
    if (v == response.headers.end()) {
      Raise(Error(Error::Code::kInternal, "the server's file answer has no ETag"));
    }
    std::string text = v->second;
    std::erase(text, '"');
    return std::stoll(text);
  }

  ApiClient& api_;
  std::string id_;
  fs::path dir_;
  bool push_;
  std::map<std::string, Agreed> state_;
  Report report_;
  bool dirty_ = false;
};

struct SyncFlags {
  std::string id;
  std::string dir;
  bool json = false;
};

void Sync(const SyncFlags& flags, bool push) {
  const fs::path dir = fs::absolute(flags.dir);
  if (push && !fs::is_directory(dir)) {
    Raise(Error(Error::Code::kNotFound, "push: " + flags.dir + " is not a folder"));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  ApiClient api;
  (void)api.Call("GET", "/workspaces/" + EscapePath(flags.id));  // 404 before touching files
  Syncer syncer(api, flags.id, dir, push);
  const Report report = syncer.Run();
  if (flags.json) {
    boost::json::array conflicts;
    for (const auto& [path, aside] : report.conflicts) {
      conflicts.push_back(boost::json::object{{"path", path}, {"kept_as", aside}});
    }
    boost::json::array written(report.written.begin(), report.written.end());
    boost::json::array deleted(report.deleted.begin(), report.deleted.end());
    std::cout << boost::json::serialize(boost::json::object{{push ? "pushed" : "pulled", written},
                                                            {"deleted", deleted},
                                                            {"conflicts", conflicts},
                                                            {"left", report.left}})
              << "\n";
  } else {
    for (const auto& [path, aside] : report.conflicts) {
      std::printf(
          "conflict: %s changed on both sides; the server's version is at %s, yours is "
          "kept as %s\n",
          path.c_str(), path.c_str(), aside.c_str());
    }
    std::printf("%s %zu files, deleted %zu, %zu conflicts%s\n", push ? "pushed" : "pulled",
                report.written.size(), report.deleted.size(), report.conflicts.size(),
                report.left > 0 ? (", " + std::to_string(report.left) + " changes for " +
                                   (push ? "pull" : "push"))
                                      .c_str()
                                : "");
  }
  if (!report.conflicts.empty()) throw CommandFailed(kExitConflict, "");
}

}  // namespace

void AddWorkspaceSyncCommands(CLI::App& workspace) {
  auto flags = std::make_shared<SyncFlags>();
  auto* push = workspace.add_subcommand("push", "send a local folder's changes to a workspace");
  push->footer(
      "Examples:\n"
      "  codeyard workspace push $id ./src\n"
      "  codeyard workspace push $id ./src --json");
  push->add_option("id", flags->id, "workspace id")->required();
  push->add_option("dir", flags->dir, "local folder")->required();
  push->add_flag("--json", flags->json, "print what was done as JSON");
  push->callback([flags] { Sync(*flags, true); });

  auto* pull = workspace.add_subcommand("pull", "bring a workspace's changes into a local folder");
  pull->footer(
      "Examples:\n"
      "  codeyard workspace pull $id ./src\n"
      "  codeyard workspace pull $id ./copy --json");
  pull->add_option("id", flags->id, "workspace id")->required();
  pull->add_option("dir", flags->dir, "local folder (created if absent)")->required();
  pull->add_flag("--json", flags->json, "print what was done as JSON");
  pull->callback([flags] { Sync(*flags, false); });
}

}  // namespace codeyard::cli
