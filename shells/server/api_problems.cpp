// Problems over HTTP (codeyard/problem_store.hpp): GET /api/v1/problems lists the public part
// (?level, ?tag, ?solved, keyset pages), GET /api/v1/problems/{id} answers one with the
// caller's progress on it; POST /api/v1/problems (create), PUT and DELETE
// /api/v1/problems/{id} and POST /api/v1/admin/problems/import are an admin's. The problem JSON
// is read and checked by the library (ProblemFromJson). Hidden tests never leave the library
// through these: Problems::Get removes them. Non-admin callers of admin routes get 404, so the
// routes do not tell them what exists.
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
  o["image"] = p.image;
  o["org_id"] = p.org_id.empty() ? json::value(nullptr) : json::value(p.org_id);  // org20
  o["visibility"] = p.org_only ? "org" : "public";
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

Result<std::optional<bool>> SolvedOf(const Request& r) {
  const auto solved = r.Query("solved");
  if (!solved) return std::optional<bool>();
  if (*solved == "true") return std::optional<bool>(true);
  if (*solved == "false") return std::optional<bool>(false);
  return Fail(Error::Code::kInvalidArgument, "solved must be true or false");
}

// What a write answers: the problem as an admin reads it back (no progress).
json::object StoredJson(const Problem& stored) {
  PublicProblem view;
  view.problem = stored;
  view.max_score = MaxScore(stored);
  auto hidden_tests =
      std::erase_if(view.problem.tests, [](const TestCase& t) { return !t.is_public; });
  view.hidden_tests = static_cast<int64_t>(hidden_tests);
  view.problem.checker.program.reset();
  if (view.problem.interactor) view.problem.interactor->files.clear();
  return ProblemJson(view, std::nullopt);
}

// Admin-only routes answer 404 to anyone else, as if the route did not exist for them.
Error HideDenied(const Error& e) {
  if (e.code() == Error::Code::kPermissionDenied) {
    return {Error::Code::kNotFound, "problems: no such problem"};
  }
  return e;
}

Result<double> TimeLimitOf(const Request& r) {
  const auto text = r.Query("time_limit_s");
  if (!text) return 0.0;
  double v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || !(v > 0) || v > 60) {
    return Fail(Error::Code::kInvalidArgument, "time_limit_s must be a number in (0, 60]");
  }
  return v;
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
                      auto solved = SolvedOf(r);
                      if (!solved) return Fail(solved.error());
                      request.solved = *solved;
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
  router.Add(Method::kPost, "/api/v1/problems",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto problem = ProblemFromJson(r.body);
                      // The caller's role first: a non-admin learns nothing from the body.
                      if (!problem) {
                        if (auto admin = services.problems->RequireAdmin(user_id); !admin) {
                          return Fail(HideDenied(admin.error()));
                        }
                        return Fail(problem.error());
                      }
                      auto created = services.problems->Create(user_id, std::move(*problem));
                      if (!created) return Fail(HideDenied(created.error()));
                      return JsonResponse(201, StoredJson(*created));
                    }));
  router.Add(Method::kPut, "/api/v1/problems/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      const std::string id(*r.Param("id"));
                      auto problem = ProblemFromJson(r.body, id);
                      if (!problem) {
                        if (auto admin = services.problems->RequireAdmin(user_id); !admin) {
                          return Fail(HideDenied(admin.error()));
                        }
                        return Fail(problem.error());
                      }
                      auto stored = services.problems->Put(user_id, std::move(*problem));
                      if (!stored) return Fail(HideDenied(stored.error()));
                      return JsonResponse(200, StoredJson(*stored));
                    }));
  router.Add(Method::kPost, "/api/v1/admin/problems/import",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      ProblemImportOptions options;
                      if (auto id = r.Query("id")) options.id = std::string(*id);
                      auto time_limit = TimeLimitOf(r);
                      if (!time_limit) return Fail(time_limit.error());
                      options.time_limit_s = *time_limit;
                      auto imported = services.problems->Import(user_id, r.body, options,
                                                                services.package_caps);
                      if (!imported) {
                        // A package over a cap is too large a body, not a rate limit.
                        if (imported.error().code() == Error::Code::kResourceExhausted) {
                          return ErrorResponse(413, imported.error(), r.request_id);
                        }
                        return Fail(HideDenied(imported.error()));
                      }
                      const Problem& p = imported->problem;
                      int64_t hidden = 0;
                      for (const TestCase& t : p.tests) hidden += t.is_public ? 0 : 1;
                      return JsonResponse(
                          201, json::object{{"id", p.id},
                                            {"title", p.title},
                                            {"format", PackageFormatName(imported->format)},
                                            {"tests", p.tests.size()},
                                            {"hidden_tests", hidden},
                                            {"time_limit_s", p.limits.time_limit_s}});
                    }));
}

}  // namespace codeyard::server
