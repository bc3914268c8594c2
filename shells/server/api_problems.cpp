// Problems over HTTP (codeyard/problem_store.hpp): GET /api/v1/problems lists the public part
// (?level, ?tag, keyset pages), GET /api/v1/problems/{id} answers one with the caller's
// progress on it, DELETE /api/v1/problems/{id} is an admin's. Hidden tests never leave the
// library through these: Problems::Get removes them. Non-admin callers of admin routes get 404,
// so the routes do not tell them what exists.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "api.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/submissions.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

// Standard base64 (RFC 4648 section 4, padded), as data: URIs want it.
std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                       uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace json = boost::json;

json::object TagsJson(const ProblemTags& tags) {
  json::array topics;
  for (const std::string& t : tags.topics) topics.emplace_back(t);
  return json::object{{"level", tags.level ? json::value(*tags.level) : json::value(nullptr)},
                      {"age_group", tags.age_group},
                      {"topics", std::move(topics)}};
}

json::object ProblemJson(const PublicProblem& view, const std::optional<ProblemProgress>& mine) {
  const Problem& p = view.problem;
  json::object o;
  o["statement"] = ValidUtf8(p.statement_markdown);
  json::object starter;
  for (const auto& [language, source] : p.starter_code) starter[language] = ValidUtf8(source);
  o["starter_code"] = std::move(starter);
  o["limits"] = json::object{{"time_limit_s", p.limits.time_limit_s},
                             {"memory_bytes", p.limits.memory_bytes},
                             {"output_bytes", p.limits.output_bytes}};
  o["checker"] = json::object{{"kind", CheckerKindName(p.checker.kind)},
                              {"case_sensitive", p.checker.case_sensitive},
                              {"absolute_tolerance", p.checker.absolute_tolerance},
                              {"relative_tolerance", p.checker.relative_tolerance}};
  o["interactive"] = p.interactor.has_value();
  o["scoring"] = p.scoring;
  json::array groups;
  for (const TestGroup& g : p.groups) {
    groups.push_back(json::object{{"name", g.name}, {"points", g.points}});
  }
  o["groups"] = std::move(groups);
  o["id"] = p.id;
  o["title"] = p.title;
  o["tags"] = TagsJson(p.tags);
  o["public"] = p.is_public;
  json::array tests;
  for (const TestCase& t : p.tests) {
    tests.push_back(json::object{{"name", t.name},
                                 {"group", t.group},
                                 {"points", t.points},
                                 {"input", ValidUtf8(t.input)},
                                 {"expected_output", ValidUtf8(t.expected_output)}});
  }
  o["tests"] = std::move(tests);
  json::array assets;
  for (const ProblemAsset& a : p.assets) {
    // Inline, so an <img> in the statement needs no authenticated request of its own.
    assets.push_back(
        json::object{{"path", a.path}, {"size", a.content.size()}, {"data", Base64(a.content)}});
  }
  o["assets"] = std::move(assets);
  o["hidden_tests"] = view.hidden_tests;
  o["max_score"] = view.max_score;
  o["created_at"] = p.created_at;
  o["updated_at"] = p.updated_at;
  if (mine) {
    o["progress"] =
        json::object{{"attempts", mine->attempts},
                     {"best_score", mine->best_score},
                     {"solved", mine->solved},
                     {"first_solved_at", mine->first_solved_at ? json::value(*mine->first_solved_at)
                                                               : json::value(nullptr)}};
  } else {
    o["progress"] = nullptr;
  }
  return o;
}

Result<std::optional<int>> LevelOf(const Request& r) {
  const auto level = r.Query("level");
  if (!level) return std::optional<int>();
  int v = -1;
  const auto [end, ec] = std::from_chars(level->data(), level->data() + level->size(), v);
  if (ec != std::errc() || end != level->data() + level->size() || v < 0 || v > 4) {
    return Fail(Error::Code::kInvalidArgument, "level must be an integer from 0 to 4");
  }
  return std::optional<int>(v);
}

}  // namespace

void AddProblemRoutes(Router& router, Services& services) {
  router.Add(Method::kGet, "/api/v1/problems",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto page = PageFrom(r);
                      if (!page) return Fail(page.error());
                      auto level = LevelOf(r);
                      if (!level) return Fail(level.error());
                      ProblemListRequest request;
                      request.page = *page;
                      request.level = *level;
                      if (auto tag = r.Query("tag")) request.topic = std::string(*tag);
                      auto listed = services.problems->List(user_id, request);
                      if (!listed) return Fail(listed.error());
                      json::array items;
                      for (const ProblemSummary& s : listed->items) {
                        items.push_back(json::object{{"id", s.id},
                                                     {"title", s.title},
                                                     {"tags", TagsJson(s.tags)},
                                                     {"public", s.is_public},
                                                     {"public_tests", s.public_tests},
                                                     {"hidden_tests", s.hidden_tests},
                                                     {"updated_at", s.updated_at}});
                      }
                      return JsonResponse(200, PageJson(std::move(items), listed->next_cursor));
                    }));
  router.Add(Method::kGet, "/api/v1/problems/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      const std::string id(*r.Param("id"));
                      auto view = services.problems->Get(user_id, id);
                      if (!view) return Fail(view.error());
                      auto progress = services.submissions->Progress(user_id);
                      if (!progress) return Fail(progress.error());
                      std::optional<ProblemProgress> mine;
                      for (const ProblemProgress& p : progress->problems) {
                        if (p.problem == id) mine = p;
                      }
                      return JsonResponse(200, ProblemJson(*view, mine));
                    }));
  router.Add(Method::kDelete, "/api/v1/problems/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto deleted = services.problems->Delete(user_id, *r.Param("id"));
                      if (!deleted) {
                        if (deleted.error().code() == Error::Code::kPermissionDenied) {
                          return Fail(Error::Code::kNotFound, "problems: no such problem");
                        }
                        return Fail(deleted.error());
                      }
                      return NoContent();
                    }));
}

}  // namespace codeyard::server
