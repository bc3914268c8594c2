// Submissions and progress over HTTP (codeyard/submissions.hpp): POST
// /api/v1/problems/{id}/submissions queues a grading (202 {"id"}; 503/429 as the job routes),
// GET /api/v1/submissions/{id}?wait=S long-polls the submitter's view (another user's is 404),
// GET /api/v1/submissions pages the caller's (?problem=), GET /api/v1/progress. Every rule is
// the library's: visibility, the request's bounds, admission and the hidden tests' secrecy.
#include <string>

#include "api.hpp"
#include "api_jobs_json.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "codeyard/submissions.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

namespace json = boost::json;

json::value OptionalInt(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object TestJson(const TestReport& t) {
  json::object o{
      {"name", t.name},       {"group", t.group},     {"verdict", TestVerdictName(t.verdict)},
      {"time_ms", t.time_ms}, {"wall_ms", t.wall_ms}, {"memory_kb", t.memory_kb},
      {"score", t.score},     {"public", t.is_public}};
  // SubmitterView already emptied these for hidden tests; only public tests carry them.
  if (t.is_public) {
    o["output"] = ValidUtf8(t.output);
    o["feedback"] = ValidUtf8(t.feedback);
    o["exit_code"] = t.exit_code ? json::value(*t.exit_code) : json::value(nullptr);
    o["signal"] = t.signal ? json::value(*t.signal) : json::value(nullptr);
  }
  return o;
}

json::object SubmissionJson(const SubmissionView& v) {
  json::object o{{"id", v.id},
                 {"problem", v.problem},
                 {"language", v.language},
                 {"state", JobStateName(v.state)},
                 {"verdict", v.verdict.empty() ? json::value(nullptr) : json::value(v.verdict)},
                 {"score", v.score},
                 {"max_score", v.max_score},
                 {"created_at", v.created_at},
                 {"finished_at", OptionalInt(v.finished_at)}};
  json::array tests;
  json::array groups;
  if (v.report) {
    for (const TestReport& t : v.report->tests) tests.push_back(TestJson(t));
    for (const GroupReport& g : v.report->groups) {
      groups.push_back(
          json::object{{"name", g.name}, {"score", g.score}, {"max_score", g.max_score}});
    }
    o["compile_output"] = ValidUtf8(v.report->compile_output);
    o["compile_ms"] = v.report->compile_ms;
    o["message"] = ValidUtf8(v.report->message);
  } else if (!v.message.empty()) {
    o["message"] = ValidUtf8(v.message);
  }
  o["tests"] = std::move(tests);
  o["groups"] = std::move(groups);
  return o;
}

json::object SummaryJson(const ProgressSummary& s) {
  return json::object{{"attempted", s.attempted}, {"solved", s.solved}, {"points", s.points}};
}

}  // namespace

void AddSubmissionRoutes(Router& router, Services& services) {
  router.Add(
      Method::kPost, "/api/v1/problems/{id}/submissions",
      Authed(services.accounts,
             [&services](const Request& r, const std::string& user_id) -> Result<Response> {
               auto body = JsonBody(r);
               if (!body) return Fail(body.error());
               // The run job's shape; a submission takes its language and files only.
               auto job = ParseRunJob(*body);
               if (!job) return Fail(job.error());
               auto submitted = services.submissions->Submit(user_id, *r.Param("id"), job->language,
                                                             std::move(job->files));
               if (!submitted) {
                 if (submitted.error().code() == Error::Code::kUnavailable ||
                     submitted.error().code() == Error::Code::kResourceExhausted) {
                   return SubmitRefused(submitted.error(), services.jobs->options(), r.request_id);
                 }
                 return Fail(submitted.error());
               }
               Response out =
                   JsonResponse(202, json::object{{"id", submitted->ids.front()},
                                                  {"state", JobStateName(JobState::kQueued)}});
               out.headers.emplace_back("Location",
                                        "/api/v1/submissions/" + submitted->ids.front());
               AddQuotaHeaders(out, submitted->quota);
               return out;
             }));
  router.Add(Method::kGet, "/api/v1/submissions/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto wait = WaitOf(r);
                      if (!wait) return Fail(wait.error());
                      auto view = services.submissions->Get(user_id, *r.Param("id"), *wait);
                      if (!view) return Fail(view.error());
                      return JsonResponse(200, SubmissionJson(*view));
                    }));
  router.Add(Method::kGet, "/api/v1/submissions",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto page = PageFrom(r);
                      if (!page) return Fail(page.error());
                      SubmissionListRequest request;
                      request.page = *page;
                      if (auto problem = r.Query("problem"))
                        request.problem = std::string(*problem);
                      auto listed = services.submissions->List(user_id, request);
                      if (!listed) return Fail(listed.error());
                      json::array items;
                      for (const SubmissionView& v : listed->items) {
                        items.push_back(SubmissionJson(v));
                      }
                      return JsonResponse(200, PageJson(std::move(items), listed->next_cursor));
                    }));
  router.Add(
      Method::kGet, "/api/v1/progress",
      Authed(services.accounts,
             [&services](const Request&, const std::string& user_id) -> Result<Response> {
               auto progress = services.submissions->Progress(user_id);
               if (!progress) return Fail(progress.error());
               json::array problems;
               for (const ProblemProgress& p : progress->problems) {
                 problems.push_back(
                     json::object{{"problem", p.problem},
                                  {"level", p.level ? json::value(*p.level) : json::value(nullptr)},
                                  {"attempts", p.attempts},
                                  {"best_score", p.best_score},
                                  {"max_score", p.max_score},
                                  {"solved", p.solved},
                                  {"first_solved_at", OptionalInt(p.first_solved_at)},
                                  {"last_submitted_at", p.last_submitted_at}});
               }
               json::array levels;
               for (const auto& [level, summary] : progress->levels) {
                 json::object o = SummaryJson(summary);
                 o["level"] = level;
                 levels.push_back(std::move(o));
               }
               return JsonResponse(200, json::object{{"problems", std::move(problems)},
                                                     {"levels", std::move(levels)},
                                                     {"overall", SummaryJson(progress->overall)}});
             }));
}

}  // namespace codeyard::server
