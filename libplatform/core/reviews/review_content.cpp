// Reviews: what a revision holds, diffs, comments (with outdated marking) and the history.
#include <map>

#include "codeyard/id.hpp"
#include "core/json_text.hpp"
#include "core/reviews/diff.hpp"
#include "core/reviews/reviews_impl.hpp"
#include "core/store/blobs.hpp"
#include "core/store/items.hpp"
#include "core/store/notifications.hpp"
#include "core/store/review_files.hpp"
#include "core/store/reviews.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using reviews::Action;
using reviews::Caller;

constexpr std::size_t kMaxCommentBytes = 65536;

// A file of a manifest: its blob and size.
struct Entry {
  std::string sha256;
  int64_t size = 0;
};
using Manifest = std::map<std::string, Entry, std::less<>>;

Result<Manifest> RevisionFiles(Transaction& tx, std::string_view review_id, int64_t number) {
  CY_CHECK(store::review_files::Get(tx, review_id, number));
  CY_TRY(const std::vector<RevisionItem> items, store::review_files::Items(tx, review_id, number));
  Manifest out;
  for (const RevisionItem& it : items) {
    if (it.kind == ItemKind::kFile) out.emplace(it.path, Entry{it.sha256, it.size});
  }
  return out;
}

Result<Manifest> LiveFiles(Transaction& tx, std::string_view workspace_id) {
  CY_TRY(const std::vector<WorkspaceItem> items, store::items::List(tx, workspace_id));
  Manifest out;
  for (const WorkspaceItem& it : items) {
    if (it.kind == ItemKind::kFile) out.emplace(it.path, Entry{it.sha256, it.size});
  }
  return out;
}

// Blob contents by digest, each read once per call.
class Blobs {
 public:
  explicit Blobs(Transaction& tx) : tx_(tx) {}
  Result<const std::string*> Get(const std::string& sha256) {
    auto it = cache_.find(sha256);
    if (it == cache_.end()) {
      CY_TRY(std::string content, store::blobs::Get(tx_, sha256));
      it = cache_.emplace(sha256, std::move(content)).first;
    }
    return &it->second;
  }

 private:
  Transaction& tx_;
  std::map<std::string, std::string, std::less<>> cache_;
};

// The revision whose lines a comment's line numbers count: the diff's left side is the
// revision before the one it was written on.
int64_t AnchorRevision(const ReviewComment& c) {
  return c.side == CommentSide::kLeft && c.revision > 1 ? c.revision - 1 : c.revision;
}

}  // namespace

Result<std::vector<RevisionItem>> Reviews::Tree(std::string_view caller_id, std::string_view id,
                                                int64_t revision) {
  return store::Transact(impl_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<std::vector<RevisionItem>> {
                           CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
                           CY_CHECK(Impl::Load(tx, caller, id, Action::kRead));
                           CY_CHECK(store::review_files::Get(tx, id, revision));
                           return store::review_files::Items(tx, id, revision);
                         });
}

Result<RevisionFile> Reviews::ReadFile(std::string_view caller_id, std::string_view id,
                                       int64_t revision, std::string_view path) {
  return store::Transact(
      impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<RevisionFile> {
        CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
        CY_CHECK(Impl::Load(tx, caller, id, Action::kRead));
        CY_CHECK(store::review_files::Get(tx, id, revision));
        CY_TRY(RevisionItem item, store::review_files::Item(tx, id, revision, path));
        if (item.kind != ItemKind::kFile) {
          return Fail(Code::kInvalidArgument,
                      "reviews: " + std::string(path) + " is a folder, not a file");
        }
        CY_TRY(std::string content, store::blobs::Get(tx, item.sha256));
        return RevisionFile{std::move(item), std::move(content)};
      });
}

Result<std::vector<FileDiff>> Reviews::Diff(std::string_view caller_id, std::string_view id,
                                            int64_t from, std::optional<int64_t> to) {
  return store::Transact(
      impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<FileDiff>> {
        CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
        CY_TRY(const Review review, Impl::Load(tx, caller, id, Action::kRead));
        CY_TRY(const Manifest before, RevisionFiles(tx, id, from));
        Manifest after;
        if (to) {
          CY_TRY(after, RevisionFiles(tx, id, *to));
        } else {
          // The live workspace is the author's: a reviewer sees only what was submitted.
          if (caller.id != review.author_id && caller.role != Role::kAdmin) {
            return Fail(Code::kPermissionDenied,
                        "reviews: only the author compares a revision with the live workspace");
          }
          auto live = LiveFiles(tx, review.workspace_id);
          if (!live) return Fail(live.error());
          after = std::move(*live);
        }
        Blobs blobs(tx);
        std::vector<FileDiff> out;
        auto b = before.begin();
        auto a = after.begin();
        while (b != before.end() || a != after.end()) {
          const bool take_before = a == after.end() || (b != before.end() && b->first < a->first);
          const bool take_after = b == before.end() || (a != after.end() && a->first < b->first);
          if (take_before) {
            CY_TRY(const std::string* old_text, blobs.Get(b->second.sha256));
            out.push_back(reviews::DiffFile(b->first, FileChange::kRemoved, *old_text, ""));
            ++b;
          } else if (take_after) {
            CY_TRY(const std::string* new_text, blobs.Get(a->second.sha256));
            out.push_back(reviews::DiffFile(a->first, FileChange::kAdded, "", *new_text));
            ++a;
          } else {
            if (b->second.sha256 != a->second.sha256) {
              CY_TRY(const std::string* old_text, blobs.Get(b->second.sha256));
              CY_TRY(const std::string* new_text, blobs.Get(a->second.sha256));
              out.push_back(
                  reviews::DiffFile(b->first, FileChange::kChanged, *old_text, *new_text));
            }
            ++b;
            ++a;
          }
        }
        return out;
      });
}

Result<std::vector<ReviewComment>> Reviews::Comments(std::string_view caller_id,
                                                     std::string_view id, int64_t revision) {
  return store::Transact(
      impl_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<std::vector<ReviewComment>> {
        CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
        CY_TRY(const Review review, Impl::Load(tx, caller, id, Action::kRead));
        const int64_t target = revision == 0 ? review.revision : revision;
        CY_CHECK(store::review_files::Get(tx, id, target));
        CY_TRY(std::vector<ReviewComment> comments, store::reviews::Comments(tx, id));
        std::map<int64_t, Manifest> manifests;
        auto manifest = [&](int64_t n) -> Result<const Manifest*> {
          auto it = manifests.find(n);
          if (it == manifests.end()) {
            CY_TRY(Manifest m, RevisionFiles(tx, id, n));
            it = manifests.emplace(n, std::move(m)).first;
          }
          return &it->second;
        };
        Blobs blobs(tx);
        std::map<std::string, bool, std::less<>> root_outdated;
        for (ReviewComment& c : comments) {
          if (c.in_reply_to) continue;  // replies follow their thread, below
          if (c.path && target > c.revision) {
            CY_TRY(const Manifest* then, manifest(AnchorRevision(c)));
            CY_TRY(const Manifest* now, manifest(target));
            const auto old_file = then->find(*c.path);
            const auto new_file = now->find(*c.path);
            if (old_file == then->end() || new_file == now->end()) {
              c.outdated = true;
            } else if (old_file->second.sha256 != new_file->second.sha256) {
              if (!c.start_line) {
                c.outdated = true;  // a comment on the whole file: the file changed
              } else {
                CY_TRY(const std::string* old_text, blobs.Get(old_file->second.sha256));
                CY_TRY(const std::string* new_text, blobs.Get(new_file->second.sha256));
                c.outdated = !reviews::LinesUnchanged(*old_text, *new_text, *c.start_line,
                                                      c.end_line.value_or(*c.start_line));
              }
            }
          }
          root_outdated[c.id] = c.outdated;
        }
        for (ReviewComment& c : comments) {
          if (!c.in_reply_to) continue;
          const auto root = root_outdated.find(*c.in_reply_to);
          c.outdated = root != root_outdated.end() && root->second;
        }
        return comments;
      });
}

Result<ReviewComment> Reviews::AddComment(std::string_view caller_id, std::string_view id,
                                          const NewComment& in) {
  if (in.body.empty() || in.body.size() > kMaxCommentBytes) {
    return Fail(Code::kInvalidArgument, "reviews: a comment's body must be 1-65536 bytes");
  }
  return store::Transact(
      impl_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<ReviewComment> {
        CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
        CY_TRY(const Review review, Impl::Load(tx, caller, id, Action::kComment));
        const int64_t now = impl_->Now();
        ReviewComment c;
        c.id = NewUuid();
        c.review_id = review.id;
        c.author_id = caller.id;
        c.body = in.body;
        c.created_at = c.updated_at = now;
        if (in.in_reply_to) {
          // A reply joins its thread: it takes the first comment's place in the code.
          CY_TRY(const ReviewComment parent, store::reviews::GetComment(tx, id, *in.in_reply_to));
          ReviewComment root = parent;
          if (parent.in_reply_to) {
            CY_TRY(root, store::reviews::GetComment(tx, id, *parent.in_reply_to));
          }
          c.in_reply_to = root.id;
          c.revision = root.revision;
          c.path = root.path;
          c.start_line = root.start_line;
          c.end_line = root.end_line;
          c.side = root.side;
        } else {
          c.revision = in.revision == 0 ? review.revision : in.revision;
          if (c.revision < 1 || c.revision > review.revision) {
            return Fail(Code::kNotFound,
                        "reviews: revision " + std::to_string(c.revision) + " not found");
          }
          c.path = in.path;
          if (in.start_line || in.end_line || in.side) {
            if (!in.path) {
              return Fail(Code::kInvalidArgument, "reviews: a line comment needs a path");
            }
            if (!in.start_line) {
              return Fail(Code::kInvalidArgument, "reviews: a line comment needs start_line");
            }
            c.start_line = in.start_line;
            c.end_line = in.end_line.value_or(*in.start_line);
            c.side = in.side.value_or(CommentSide::kRight);
            if (*c.start_line < 1 || *c.end_line < *c.start_line) {
              return Fail(Code::kInvalidArgument,
                          "reviews: lines must satisfy 1 <= start_line <= end_line");
            }
            if (c.side == CommentSide::kLeft && c.revision < 2) {
              return Fail(Code::kInvalidArgument,
                          "reviews: revision 1 has no left side (no earlier revision)");
            }
          }
          if (c.path) {
            auto item = store::review_files::Item(tx, id, AnchorRevision(c), *c.path);
            if (!item) return Fail(item.error());
            if (item->kind != ItemKind::kFile) {
              return Fail(Code::kInvalidArgument,
                          "reviews: " + *c.path + " is a folder, not a file");
            }
            if (c.end_line) {
              CY_TRY(const std::string text, store::blobs::Get(tx, item->sha256));
              const auto lines = static_cast<int64_t>(reviews::SplitLines(text).size());
              if (*c.end_line > lines) {
                return Fail(Code::kInvalidArgument,
                            "reviews: " + *c.path + " has " + std::to_string(lines) +
                                " lines, the comment ends at line " + std::to_string(*c.end_line));
              }
            }
          }
        }
        CY_CHECK(store::reviews::InsertComment(tx, c));
        std::string detail = "{\"comment_id\":";
        AppendJsonString(detail, c.id);
        detail += "}";
        CY_CHECK(store::reviews::Append(
            tx, {review.id, caller.id, "commented", std::nullopt, std::nullopt, c.revision, detail},
            now));
        std::string extra = "\"comment_id\":";
        AppendJsonString(extra, c.id);
        const std::string data = Impl::ReviewData(review, "commented", extra);
        std::set<std::string> to{review.author_id, caller.id};
        if (review.reviewer_id) to.insert(*review.reviewer_id);
        for (const std::string& user : to) {
          CY_CHECK(store::notifications::Event(tx, "review.commented", review.workspace_id, user,
                                               data, now));
          if (user == caller.id) continue;
          CY_CHECK(store::notifications::Notify(
              tx, user, {"review.commented", review.id, review.workspace_id, caller.id, data},
              now));
        }
        return c;
      });
}

Result<ReviewComment> Reviews::SetResolved(std::string_view caller_id, std::string_view id,
                                           std::string_view comment_id, bool resolved) {
  return store::Transact(
      impl_->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<ReviewComment> {
        CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
        CY_TRY(const Review review, Impl::Load(tx, caller, id, Action::kComment));
        CY_TRY(const ReviewComment c, store::reviews::GetComment(tx, id, comment_id));
        if (c.resolved == resolved) return c;
        const int64_t now = impl_->Now();
        CY_TRY(ReviewComment out, store::reviews::SetResolved(tx, c, resolved, now));
        std::string detail = "{\"comment_id\":";
        AppendJsonString(detail, c.id);
        detail += "}";
        CY_CHECK(store::reviews::Append(tx,
                                        {review.id, caller.id, resolved ? "resolved" : "reopened",
                                         std::nullopt, std::nullopt, c.revision, detail},
                                        now));
        std::set<std::string> to{review.author_id, caller.id};
        if (review.reviewer_id) to.insert(*review.reviewer_id);
        CY_CHECK(Impl::Announce(tx, review, resolved ? "resolved" : "reopened", to, now));
        return out;
      });
}

Result<std::vector<ReviewHistoryEntry>> Reviews::History(std::string_view caller_id,
                                                         std::string_view id) {
  return store::Transact(impl_->storage(), TxKind::kRead,
                         [&](Transaction& tx) -> Result<std::vector<ReviewHistoryEntry>> {
                           CY_TRY(const Caller caller, Impl::LoadCaller(tx, caller_id));
                           CY_CHECK(Impl::Load(tx, caller, id, Action::kRead));
                           return store::reviews::History(tx, id);
                         });
}

}  // namespace codeyard
