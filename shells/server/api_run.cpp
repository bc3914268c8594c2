// Stateless one-shot runs, what Judge0 calls a submission and Piston an execute: source files
// in, a verdict out. Since issue 16 a run is a job like any other: the request is queued on
// the same durable queue as POST /api/v1/jobs (the same bounds, admission and per-user limits),
// run by whichever worker claims it, and this handler waits for the result and answers it in
// the shape /run always had. There is no second path: the Runner's own caps are off.
#include <chrono>
#include <string>

#include "api.hpp"
#include "api_jobs_json.hpp"
#include "api_json.hpp"
#include "http_errors.hpp"

namespace codeyard::server {
namespace {

// Below the server's request timeout (server.request_timeout_s, 60 s by default): a job still
// not done then is answered 504 with its id, to be read with GET /api/v1/jobs/{id}.
constexpr std::chrono::seconds kRunDeadline{55};

}  // namespace

void AddRunRoutes(Router& router, Services& services) {
  router.Add(Method::kPost, "/api/v1/run",
             Authed(services.accounts,
                    [&services](const Request& r, const std::string& user_id) -> Result<Response> {
                      auto body = JsonBody(r);
                      if (!body) return Fail(body.error());
                      auto job = ParseRunJob(*body);
                      if (!job) return Fail(job.error());
                      Jobs& jobs = *services.jobs;
                      std::vector<JobSubmission> one(1);
                      one.front().run = std::move(*job);
                      auto submitted = jobs.Submit(user_id, std::move(one));
                      if (!submitted) {
                        return SubmitRefused(submitted.error(), jobs.options(), r.request_id);
                      }
                      const std::string& id = submitted->ids.front();
                      const auto deadline = std::chrono::steady_clock::now() + kRunDeadline;
                      while (true) {
                        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now());
                        auto got =
                            jobs.Get(user_id, id, std::max(left, std::chrono::milliseconds(0)));
                        if (!got) return Fail(got.error());
                        if (got->state == JobState::kDone && got->run) {
                          Response out = JsonResponse(200, RunJson(*got->run));
                          AddQuotaHeaders(out, submitted->quota);
                          return out;
                        }
                        if (left.count() <= 0) {
                          return Fail(Error::Code::kDeadlineExceeded,
                                      "run: job " + id + " is still " +
                                          std::string(JobStateName(got->state)) +
                                          "; read it with GET /api/v1/jobs/" + id);
                        }
                      }
                    }));
}

}  // namespace codeyard::server
