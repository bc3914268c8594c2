#include "api_reviews_json.hpp"

#include <charconv>
#include <utility>

#include "http_errors.hpp"

namespace codeyard::server {
namespace {

boost::json::value OrNull(const std::optional<std::string>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value OrNull(const std::optional<int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

// A JSON object text written by the library; an object that does not parse (never expected)
// is sent as an empty one rather than failing the whole answer.
boost::json::value ParsedObject(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return boost::json::object();
  return v;
}

std::string Quoted(std::string_view name) { return "field '" + std::string(name) + "'"; }

}  // namespace

boost::json::value UserNames::Json(const std::optional<std::string>& user_id) {
  if (!user_id) return nullptr;
  auto it = names_.find(*user_id);
  if (it == names_.end()) {
    auto user = accounts_.GetUser(*user_id);
    it = names_.emplace(*user_id, user ? std::optional<std::string>(user->username) : std::nullopt)
             .first;
  }
  return boost::json::object{{"id", *user_id}, {"username", OrNull(it->second)}};
}

boost::json::object ReviewJson(const Review& r, UserNames& names) {
  return {{"id", r.id},
          {"status", ReviewStatusName(r.status)},
          {"revision", r.revision},
          {"author", names.Json(r.author_id)},
          {"reviewer", names.Json(r.reviewer_id)},
          {"priority", ReviewPriorityName(r.priority)},
          {"required_level", r.required_level},
          {"title", r.title},
          {"description", r.description},
          {"workspace_id", r.workspace_id},
          {"decision_message", OrNull(r.decision_message)},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at},
          {"version", r.version}};
}

boost::json::object RevisionItemJson(const RevisionItem& item) {
  boost::json::object out{{"path", item.path},
                          {"kind", ItemKindName(item.kind)},
                          {"size", item.size},
                          {"mode", item.mode}};
  out["sha256"] =
      item.kind == ItemKind::kFile ? boost::json::value(item.sha256) : boost::json::value(nullptr);
  return out;
}

boost::json::object FileDiffJson(const FileDiff& d) {
  boost::json::array hunks;
  for (const DiffHunk& h : d.hunks) {
    boost::json::array lines;
    // Lines come from file content, which need not be UTF-8.
    for (const std::string& line : h.lines) lines.push_back(boost::json::string(ValidUtf8(line)));
    hunks.push_back(boost::json::object{{"old_start", h.old_start},
                                        {"old_lines", h.old_lines},
                                        {"new_start", h.new_start},
                                        {"new_lines", h.new_lines},
                                        {"lines", std::move(lines)}});
  }
  return {{"path", d.path},
          {"change", FileChangeName(d.change)},
          {"hunks", std::move(hunks)},
          {"binary", d.binary},
          {"too_large", d.too_large}};
}

boost::json::object CommentJson(const ReviewComment& c, UserNames& names) {
  boost::json::value side = nullptr;
  if (c.side) side = *c.side == CommentSide::kLeft ? "left" : "right";
  return {{"id", c.id},
          {"review_id", c.review_id},
          {"revision", c.revision},
          {"author", names.Json(c.author_id)},
          {"path", OrNull(c.path)},
          {"start_line", OrNull(c.start_line)},
          {"end_line", OrNull(c.end_line)},
          {"side", std::move(side)},
          {"body", c.body},
          {"in_reply_to", OrNull(c.in_reply_to)},
          {"resolved", c.resolved},
          {"outdated", c.outdated},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at},
          {"version", c.version}};
}

boost::json::object HistoryJson(const ReviewHistoryEntry& e, UserNames& names) {
  const auto status = [](const std::optional<ReviewStatus>& s) {
    return s ? boost::json::value(ReviewStatusName(*s)) : boost::json::value(nullptr);
  };
  return {{"id", e.id},
          {"review_id", e.review_id},
          {"at", e.at},
          {"actor", names.Json(e.actor_id)},
          {"action", e.action},
          {"from", status(e.from)},
          {"to", status(e.to)},
          {"revision", e.revision},
          {"detail", ParsedObject(e.detail_json)}};
}

boost::json::object ReviewerJson(const ReviewerStats& s) {
  return {{"id", s.user_id},
          {"username", s.username},
          {"reviewer_level", s.level},
          {"reviews_done", s.reviews_done},
          {"approvals", s.approvals},
          {"approval_rate", s.approval_rate},
          {"open_reviews", s.open_reviews},
          {"median_first_response_ms", OrNull(s.median_first_response_ms)},
          {"median_decision_ms", OrNull(s.median_decision_ms)}};
}

boost::json::object NotificationPageJson(const NotificationPage& page, UserNames& names) {
  boost::json::array items;
  for (const Notification& n : page.items) {
    items.push_back(boost::json::object{{"id", n.id},
                                        {"type", n.type},
                                        {"review_id", n.review_id},
                                        {"actor", names.Json(n.actor_id)},
                                        {"data", ParsedObject(n.data_json)},
                                        {"at", n.at},
                                        {"read", n.read}});
  }
  return {{"items", std::move(items)}, {"unread", page.unread}};
}

Result<std::optional<int64_t>> OptionalInt(const boost::json::object& body, std::string_view name,
                                           int64_t min, int64_t max) {
  const auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return std::optional<int64_t>();
  const boost::json::value& v = it->value();
  const std::string range = Quoted(name) + " must be an integer from " + std::to_string(min) +
                            " to " + std::to_string(max);
  int64_t n = 0;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(max)) {
    n = static_cast<int64_t>(v.as_uint64());
  } else {
    return Fail(Error::Code::kInvalidArgument, range);
  }
  if (n < min || n > max) return Fail(Error::Code::kInvalidArgument, range);
  return std::optional<int64_t>(n);
}

Result<std::optional<bool>> OptionalBool(const boost::json::object& body, std::string_view name) {
  const auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return std::optional<bool>();
  if (!it->value().is_bool()) {
    return Fail(Error::Code::kInvalidArgument, Quoted(name) + " must be true or false");
  }
  return std::optional<bool>(it->value().as_bool());
}

Result<int64_t> IntText(std::string_view text, std::string_view name, int64_t min, int64_t max) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    return Fail(Error::Code::kInvalidArgument, std::string(name) + " must be an integer from " +
                                                   std::to_string(min) + " to " +
                                                   std::to_string(max));
  }
  return n;
}

}  // namespace codeyard::server
