// What a review holds, over HTTP: a revision's manifest and raw files, diffs between
// revisions (or a revision and the live workspace), comment threads and the history. Every
// read goes through the library's access policy (404 for a review the caller may not see).
// A revision never changes, so a file's strong ETag is its SHA-256 and it may be cached for
// good.
#include "api.hpp"
#include "api_json.hpp"
#include "api_reviews_json.hpp"

namespace codeyard::server {
namespace {

constexpr int64_t kMaxRevision = int64_t{1} << 40;

std::string Param(const Request& r, std::string_view name) {
  return std::string(r.Param(name).value_or(""));
}

Result<int64_t> RevisionParam(const Request& r) {
  return IntText(Param(r, "n"), "revision", 1, kMaxRevision);
}

Result<NewComment> NewCommentOf(const Request& r) {
  auto body = JsonBody(r);
  if (!body) return Fail(body.error());
  NewComment in;
  auto revision = OptionalInt(*body, "revision", 1, kMaxRevision);
  if (!revision) return Fail(revision.error());
  in.revision = revision->value_or(0);
  auto path = OptionalString(*body, "path");
  if (!path) return Fail(path.error());
  in.path = std::move(*path);
  auto start = OptionalInt(*body, "start_line", 1, kMaxRevision);
  if (!start) return Fail(start.error());
  in.start_line = *start;
  auto end = OptionalInt(*body, "end_line", 1, kMaxRevision);
  if (!end) return Fail(end.error());
  in.end_line = *end;
  auto side = OptionalString(*body, "side");
  if (!side) return Fail(side.error());
  if (const std::optional<std::string>& name = *side; name.has_value()) {
    if (*name == "left") {
      in.side = CommentSide::kLeft;
    } else if (*name == "right") {
      in.side = CommentSide::kRight;
    } else {
      return Fail(Error::Code::kInvalidArgument, "field 'side' must be \"left\" or \"right\"");
    }
  }
  auto text = StringField(*body, "body");
  if (!text) return Fail(text.error());
  in.body = std::move(*text);
  auto reply = OptionalString(*body, "in_reply_to");
  if (!reply) return Fail(reply.error());
  in.in_reply_to = std::move(*reply);
  return in;
}

}  // namespace

void AddReviewContentRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/reviews/{id}/revisions/{n}/tree",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto revision = RevisionParam(r);
                      if (!revision) return Fail(revision.error());
                      auto tree = services.reviews->Tree(user, Param(r, "id"), *revision);
                      if (!tree) return Fail(tree.error());
                      boost::json::array items;
                      for (const RevisionItem& item : *tree)
                        items.push_back(RevisionItemJson(item));
                      return JsonResponse(200, boost::json::object{{"revision", *revision},
                                                                   {"items", std::move(items)},
                                                                   {"next_cursor", nullptr}});
                    }));
  router.Add(
      Method::kGet, "/api/v1/reviews/{id}/revisions/{n}/files/{path...}",
      Authed(services.accounts,
             [&services](const Request& r, const std::string& user) -> Result<Response> {
               auto revision = RevisionParam(r);
               if (!revision) return Fail(revision.error());
               auto file =
                   services.reviews->ReadFile(user, Param(r, "id"), *revision, Param(r, "path"));
               if (!file) return Fail(file.error());
               Response out;
               out.content_type = "application/octet-stream";
               out.body = std::move(file->content);
               out.headers.emplace_back("ETag", "\"" + file->item.sha256 + "\"");
               // The bytes of a revision never change; only who may read them does.
               out.headers.emplace_back("Cache-Control", "private, max-age=31536000, immutable");
               return out;
             }));
  router.Add(Method::kGet, "/api/v1/reviews/{id}/diff",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      const auto from_text = r.Query("from");
                      if (!from_text) {
                        return Fail(Error::Code::kInvalidArgument, "from is required (?from=N)");
                      }
                      auto from = IntText(*from_text, "from", 1, kMaxRevision);
                      if (!from) return Fail(from.error());
                      std::optional<int64_t> to;
                      if (const auto to_text = r.Query("to")) {
                        auto parsed = IntText(*to_text, "to", 1, kMaxRevision);
                        if (!parsed) return Fail(parsed.error());
                        to = *parsed;
                      }
                      auto diff = services.reviews->Diff(user, Param(r, "id"), *from, to);
                      if (!diff) return Fail(diff.error());
                      boost::json::array items;
                      for (const FileDiff& d : *diff) items.push_back(FileDiffJson(d));
                      return JsonResponse(
                          200, boost::json::object{{"from", *from},
                                                   {"to", to ? boost::json::value(*to)
                                                             : boost::json::value(nullptr)},
                                                   {"items", std::move(items)}});
                    }));
  router.Add(Method::kGet, "/api/v1/reviews/{id}/comments",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      int64_t revision = 0;
                      if (const auto text = r.Query("revision")) {
                        auto parsed = IntText(*text, "revision", 1, kMaxRevision);
                        if (!parsed) return Fail(parsed.error());
                        revision = *parsed;
                      }
                      auto comments = services.reviews->Comments(user, Param(r, "id"), revision);
                      if (!comments) return Fail(comments.error());
                      UserNames names(*services.accounts);
                      boost::json::array items;
                      for (const ReviewComment& c : *comments)
                        items.push_back(CommentJson(c, names));
                      return JsonResponse(200, boost::json::object{{"items", std::move(items)}});
                    }));
  router.Add(Method::kPost, "/api/v1/reviews/{id}/comments",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto in = NewCommentOf(r);
                      if (!in) return Fail(in.error());
                      auto comment = services.reviews->AddComment(user, Param(r, "id"), *in);
                      if (!comment) return Fail(comment.error());
                      UserNames names(*services.accounts);
                      return JsonResponse(201, CommentJson(*comment, names));
                    }));
  router.Add(Method::kPatch, "/api/v1/reviews/{id}/comments/{cid}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto resolved = OptionalBool(*body, "resolved");
                      if (!resolved) return Fail(resolved.error());
                      if (!*resolved) {
                        return Fail(Error::Code::kInvalidArgument, "field 'resolved' is required");
                      }
                      auto comment = services.reviews->SetResolved(user, Param(r, "id"),
                                                                   Param(r, "cid"), **resolved);
                      if (!comment) return Fail(comment.error());
                      UserNames names(*services.accounts);
                      return JsonResponse(200, CommentJson(*comment, names));
                    }));
  router.Add(Method::kGet, "/api/v1/reviews/{id}/history",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user) -> Result<Response> {
                      auto history = services.reviews->History(user, Param(r, "id"));
                      if (!history) return Fail(history.error());
                      UserNames names(*services.accounts);
                      boost::json::array items;
                      for (const ReviewHistoryEntry& e : *history) {
                        items.push_back(HistoryJson(e, names));
                      }
                      return JsonResponse(200, boost::json::object{{"items", std::move(items)}});
                    }));
}

}  // namespace codeyard::server
