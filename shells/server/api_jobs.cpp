// The job queue over HTTP (codeyard/jobs.hpp): POST /api/v1/jobs and /api/v1/jobs/batch queue
// run jobs (202 with the ids), GET /api/v1/jobs/{id}?wait=S long-polls one (another user's is
// 404), GET /api/v1/jobs pages the caller's, GET /api/v1/queue/stats reads the queue. Every rule
// (bounds, admission, per-user limits, the callback_url allow-list) is the library's; refusals
// carry Retry-After, and the per-user ones the RateLimit headers.
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>

#include "api.hpp"
#include "api_jobs_json.hpp"
#include "api_json.hpp"
#include "api_lists.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

// A job of the body: the run, and the optional callback_url.
Result<JobSubmission> SubmissionOf(const boost::json::object& body) {
  JobSubmission out;
  auto job = ParseRunJob(body);
  if (!job) return Fail(job.error());
  out.run = std::move(*job);
  auto callback = OptionalString(body, "callback_url");
  if (!callback) return Fail(callback.error());
  if (*callback) out.callback_url = std::move(**callback);
  return out;
}

Result<Response> Accepted(Jobs& jobs, const Request& r, const std::string& user_id,
                          std::vector<JobSubmission> submissions, bool batch) {
  auto submitted = jobs.Submit(user_id, std::move(submissions));
  if (!submitted) return SubmitRefused(submitted.error(), jobs.options(), r.request_id);
  boost::json::object body;
  if (batch) {
    boost::json::array ids;
    for (const std::string& id : submitted->ids) ids.emplace_back(id);
    body["ids"] = std::move(ids);
  } else {
    body["id"] = submitted->ids.front();
    body["state"] = JobStateName(JobState::kQueued);
  }
  Response out = JsonResponse(202, body);
  if (!batch) out.headers.emplace_back("Location", "/api/v1/jobs/" + submitted->ids.front());
  AddQuotaHeaders(out, submitted->quota);
  return out;
}

}  // namespace

void AddJobRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/jobs",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto job = SubmissionOf(*body);
                      if (!job) return Fail(job.error());
                      std::vector<JobSubmission> one;
                      one.push_back(std::move(*job));
                      return Accepted(*services.jobs, r, user_id, std::move(one), false);
                    }));
  router.Add(
      Method::kPost, "/api/v1/jobs/batch",
      Authed(services.accounts,
             [&services](const Request& r, const std::string& user_id) -> Result<Response> {
               auto body = JsonBody(r);
               if (!body) return Fail(body.error());
               const auto it = body->find("jobs");
               if (it == body->end() || !it->value().is_array() || it->value().as_array().empty() ||
                   it->value().as_array().size() > kMaxJobBatch) {
                 return Fail(Error::Code::kInvalidArgument,
                             "field 'jobs' must be an array of 1 to " +
                                 std::to_string(kMaxJobBatch) + " jobs");
               }
               std::vector<JobSubmission> jobs;
               const boost::json::array& list = it->value().as_array();
               for (std::size_t i = 0; i < list.size(); ++i) {
                 if (!list[i].is_object()) {
                   return Fail(Error::Code::kInvalidArgument,
                               "field 'jobs': job " + std::to_string(i) + " must be an object");
                 }
                 auto job = SubmissionOf(list[i].as_object());
                 if (!job) return Fail(job.error().WithContext("job " + std::to_string(i)));
                 jobs.push_back(std::move(*job));
               }
               return Accepted(*services.jobs, r, user_id, std::move(jobs), true);
             }));
  router.Add(Method::kGet, "/api/v1/jobs/{id}",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto wait = WaitOf(r);
                      if (!wait) return Fail(wait.error());
                      auto job = services.jobs->Get(user_id, *r.Param("id"), *wait);
                      if (!job) return Fail(job.error());
                      return JsonResponse(200, JobJson(*job));
                    }));
  router.Add(Method::kGet, "/api/v1/jobs",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto page = PageFrom(r);
                      if (!page) return Fail(page.error());
                      auto listed = services.jobs->List(user_id, *page);
                      if (!listed) return Fail(listed.error());
                      boost::json::array items;
                      for (const Job& job : listed->items) items.push_back(JobJson(job));
                      return JsonResponse(200, PageJson(std::move(items), listed->next_cursor));
                    }));
  router.Add(Method::kGet, "/api/v1/queue/stats",
             Authed(services.accounts,
                    [&services](const Request&, const std::string&) -> Result<Response> {
                      auto stats = services.jobs->Stats();
                      if (!stats) return Fail(stats.error());
                      return JsonResponse(200,
                                          boost::json::object{
                                              {"depth", stats->depth},
                                              {"running", stats->running},
                                              {"throughput_per_minute", stats->done_last_minute},
                                              {"wait_p50_ms", stats->wait_p50_ms},
                                              {"wait_p95_ms", stats->wait_p95_ms},
                                              {"window_s", stats->window_s},
                                          });
                    }));
}

}  // namespace codeyard::server
