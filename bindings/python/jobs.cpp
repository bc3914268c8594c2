// codeyard.Jobs (the durable queue's one-shot runs) and codeyard.Submissions (gradings of a
// stored problem, queued as jobs), with Job, Submission and TestResult.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codeyard/jobs.hpp"
#include "codeyard/languages.hpp"
#include "codeyard/submissions.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

std::vector<FileData> FilesOf(const py::dict& files) {
  std::vector<FileData> out;
  for (const auto& [name, content] : files) {
    FileData file;
    file.path = py::cast<std::string>(name);
    file.content = BytesOf(content);
    out.push_back(std::move(file));
  }
  return out;
}

// The language named, or the one of the first file's extension.
std::string LanguageOf(const std::string& language, const std::vector<FileData>& files) {
  if (!language.empty() || files.empty()) return language;
  return std::string(LanguageName(Unwrap(LanguageFromFileName(files.front().path))));
}

// Get with waits of at most 30 s (the library's cap) until done or `timeout` seconds passed;
// DeadlineExceeded then. `done` says whether a value is final.
template <class T>
T WaitDone(const std::function<Result<T>(std::chrono::milliseconds)>& get,
           const std::function<bool(const T&)>& done, double timeout, const std::string& what) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + Millis(timeout);
  return Blocking([&]() -> Result<T> {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto value =
          get(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(30000)));
      if (!value || done(*value)) return value;
      if (Clock::now() >= deadline) {
        return Fail(Error::Code::kDeadlineExceeded, what + " is not done after the timeout");
      }
    }
  });
}

// Iterates every item of a keyset-paginated list, a page at a time.
template <class T>
class PageIterator {
 public:
  using Fetch = std::function<Result<Page<T>>(const PageRequest&)>;
  explicit PageIterator(Fetch fetch) : fetch_(std::move(fetch)) {}
  T Next() {
    while (index_ >= page_.items.size()) {
      if (ended_) throw py::stop_iteration();
      PageRequest request;
      request.limit = kMaxPageLimit;
      request.cursor = cursor_;
      page_ = Blocking([&] { return fetch_(request); });
      index_ = 0;
      ended_ = !page_.next_cursor;
      if (page_.next_cursor) cursor_ = *page_.next_cursor;
    }
    return page_.items[index_++];
  }

 private:
  Fetch fetch_;
  Page<T> page_;
  std::size_t index_ = 0;
  std::string cursor_;
  bool ended_ = false;
};

template <class T>
void BindIterator(py::module_& m, const char* name) {
  py::class_<PageIterator<T>>(m, name)
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &PageIterator<T>::Next);
}

void AddJobClasses(py::module_& m) {
  py::class_<Job>(m, "Job", "A job of the durable queue (kind \"run\", or \"grade\").")
      .def_readonly("id", &Job::id)
      .def_readonly("owner_id", &Job::owner_id)
      .def_readonly("kind", &Job::kind)
      .def_property_readonly(
          "state", [](const Job& j) { return std::string(JobStateName(j.state)); },
          "\"queued\", \"running\" or \"done\".")
      .def_property_readonly("done", [](const Job& j) { return j.state == JobState::kDone; })
      .def_readonly("attempt", &Job::attempt)
      .def_readonly("verdict", &Job::verdict, "Once done: \"ok\", \"time_limit_exceeded\", ...")
      .def_readonly("created_at", &Job::created_at)
      .def_readonly("started_at", &Job::started_at)
      .def_readonly("finished_at", &Job::finished_at)
      .def_readonly("run", &Job::run, "A done run job's RunResult, else None.")
      .def_property_readonly("result", [](const Job& j) { return py::bytes(j.result); })
      .def_readonly("problem_id", &Job::problem_id)
      .def("__repr__", [](const Job& j) {
        return "<Job id=" + Quote(j.id) + " kind=" + Quote(j.kind) +
               " state=" + Quote(std::string(JobStateName(j.state))) +
               (j.verdict.empty() ? "" : " verdict=" + Quote(j.verdict)) + ">";
      });

  py::class_<TestReport>(m, "TestResult", "One test of a grading: its verdict, time, memory.")
      .def_readonly("name", &TestReport::name)
      .def_readonly("group", &TestReport::group)
      .def_property_readonly(
          "verdict", [](const TestReport& t) { return std::string(TestVerdictName(t.verdict)); },
          "\"accepted\", \"wrong_answer\", \"time_limit_exceeded\", ...")
      .def_readonly("time_ms", &TestReport::time_ms)
      .def_readonly("wall_ms", &TestReport::wall_ms)
      .def_readonly("memory_kb", &TestReport::memory_kb)
      .def_readonly("score", &TestReport::score)
      .def_readonly("is_public", &TestReport::is_public)
      .def_readonly("exit_code", &TestReport::exit_code)
      .def_readonly("signal", &TestReport::signal)
      .def_readonly("output", &TestReport::output, "Public tests only.")
      .def_readonly("feedback", &TestReport::feedback)
      .def("__repr__", [](const TestReport& t) {
        return "<TestResult name=" + Quote(t.name) +
               " verdict=" + Quote(std::string(TestVerdictName(t.verdict))) +
               " time_ms=" + std::to_string(t.time_ms) + ">";
      });

  py::class_<SubmissionView>(m, "Submission", "A solution to a stored problem and its grading.")
      .def_readonly("id", &SubmissionView::id)
      .def_readonly("problem", &SubmissionView::problem)
      .def_readonly("language", &SubmissionView::language)
      .def_property_readonly(
          "state", [](const SubmissionView& s) { return std::string(JobStateName(s.state)); })
      .def_property_readonly("done",
                             [](const SubmissionView& s) { return s.state == JobState::kDone; })
      .def_readonly("verdict", &SubmissionView::verdict)
      .def_property_readonly("accepted",
                             [](const SubmissionView& s) { return s.verdict == "accepted"; })
      .def_readonly("score", &SubmissionView::score)
      .def_readonly("max_score", &SubmissionView::max_score)
      .def_readonly("created_at", &SubmissionView::created_at)
      .def_readonly("finished_at", &SubmissionView::finished_at)
      .def_property_readonly("tests",
                             [](const SubmissionView& s) {
                               return s.report ? s.report->tests : std::vector<TestReport>{};
                             })
      .def_property_readonly(
          "compile_output",
          [](const SubmissionView& s) { return s.report ? s.report->compile_output : ""; })
      .def_readonly("message", &SubmissionView::message)
      .def("__repr__", [](const SubmissionView& s) {
        return "<Submission id=" + Quote(s.id) + " problem=" + Quote(s.problem) +
               " state=" + Quote(std::string(JobStateName(s.state))) +
               (s.verdict.empty() ? "" : " verdict=" + Quote(s.verdict)) + ">";
      });

  py::class_<ProblemProgress>(m, "ProblemProgress", "A user's standing on one problem.")
      .def_readonly("problem", &ProblemProgress::problem)
      .def_readonly("level", &ProblemProgress::level)
      .def_readonly("attempts", &ProblemProgress::attempts)
      .def_readonly("best_score", &ProblemProgress::best_score)
      .def_readonly("max_score", &ProblemProgress::max_score)
      .def_readonly("solved", &ProblemProgress::solved)
      .def_readonly("first_solved_at", &ProblemProgress::first_solved_at)
      .def_readonly("last_submitted_at", &ProblemProgress::last_submitted_at)
      .def("__repr__", [](const ProblemProgress& p) {
        return "<ProblemProgress problem=" + Quote(p.problem) +
               " attempts=" + std::to_string(p.attempts) + (p.solved ? " solved>" : ">");
      });
  py::class_<UserProgress>(m, "Progress", "A user's progress over every problem.")
      .def_readonly("problems", &UserProgress::problems)
      .def_property_readonly("attempted", [](const UserProgress& p) { return p.overall.attempted; })
      .def_property_readonly("solved", [](const UserProgress& p) { return p.overall.solved; })
      .def_property_readonly("points", [](const UserProgress& p) { return p.overall.points; })
      .def("__repr__", [](const UserProgress& p) {
        return "<Progress attempted=" + std::to_string(p.overall.attempted) +
               " solved=" + std::to_string(p.overall.solved) + ">";
      });

  BindIterator<Job>(m, "JobIterator");
  BindIterator<SubmissionView>(m, "SubmissionIterator");
}

}  // namespace

void AddJobs(py::module_& m) {
  AddJobClasses(m);

  using J = JobsService;
  py::class_<J, std::shared_ptr<J>>(m, "Jobs", "One-shot runs through the durable job queue.")
      .def(
          "submit",
          [](J& j, const std::string& user_id, const py::dict& files, const std::string& language,
             const py::object& stdin_data, std::vector<std::string> args,
             std::optional<double> time_limit, std::optional<double> memory_limit_mb,
             std::optional<double> output_limit_kb) {
            JobSubmission sub;
            sub.run.files = FilesOf(files);
            sub.run.language = LanguageOf(language, sub.run.files);
            sub.run.stdin_data = BytesOf(stdin_data);
            sub.run.args = std::move(args);
            sub.run.time_limit_s = time_limit;
            sub.run.memory_limit_mb = memory_limit_mb;
            sub.run.output_limit_kb = output_limit_kb;
            return Blocking([&]() -> Result<Job> {
              std::vector<JobSubmission> batch;
              batch.push_back(std::move(sub));
              auto submitted = j.service->Submit(user_id, std::move(batch));
              if (!submitted) return Fail(submitted.error());
              return j.service->Get(user_id, submitted->ids.front());
            });
          },
          py::arg("user_id"), py::arg("files"), py::arg("language") = "",
          py::arg("stdin") = py::bytes(), py::arg("args") = std::vector<std::string>{},
          py::arg("time_limit") = py::none(), py::arg("memory_limit_mb") = py::none(),
          py::arg("output_limit_kb") = py::none(),
          "Queues a run of {name: source} (the first file is the entry point; the language "
          "from its extension unless given). Returns the queued Job.")
      .def(
          "get",
          [](J& j, const std::string& user_id, const std::string& id, double wait) {
            return Blocking([&] { return j.service->Get(user_id, id, Millis(wait)); });
          },
          py::arg("user_id"), py::arg("job_id"), py::arg("wait") = 0.0,
          "The job; with wait (seconds, at most 30) it returns once done or the wait is over.")
      .def(
          "wait",
          [](J& j, const std::string& user_id, const std::string& id, double timeout) {
            return WaitDone<Job>(
                [&](std::chrono::milliseconds w) { return j.service->Get(user_id, id, w); },
                [](const Job& job) { return job.state == JobState::kDone; }, timeout, "job " + id);
          },
          py::arg("user_id"), py::arg("job_id"), py::arg("timeout") = 120.0,
          "Waits until the job is done; DeadlineExceeded after timeout seconds.")
      .def(
          "iter",
          [](J& j, const std::string& user_id) {
            std::shared_ptr<Jobs> jobs = j.service;
            return PageIterator<Job>(
                [jobs, user_id](const PageRequest& page) { return jobs->List(user_id, page); });
          },
          py::arg("user_id"), "Every job of the user, newest first, a page at a time.")
      .def(
          "queue_stats",
          [](J& j) {
            const QueueStats s = Blocking([&] { return j.service->Stats(); });
            py::dict d;
            d["depth"] = s.depth;
            d["running"] = s.running;
            d["done_last_minute"] = s.done_last_minute;
            d["wait_p50_ms"] = s.wait_p50_ms;
            d["wait_p95_ms"] = s.wait_p95_ms;
            return d;
          },
          "The queue's depth, running jobs and waits.");

  using S = SubmissionsService;
  py::class_<S, std::shared_ptr<S>>(m, "Submissions",
                                    "Solutions graded against stored problems (on the queue).")
      .def(
          "submit",
          [](S& s, const std::string& user_id, const std::string& problem_id, const py::dict& files,
             const std::string& language) {
            std::vector<FileData> data = FilesOf(files);
            const std::string lang = LanguageOf(language, data);
            return Blocking([&]() -> Result<SubmissionView> {
              auto submitted = s.service->Submit(user_id, problem_id, lang, std::move(data));
              if (!submitted) return Fail(submitted.error());
              return s.service->Get(user_id, submitted->ids.front());
            });
          },
          py::arg("user_id"), py::arg("problem_id"), py::arg("files"), py::arg("language") = "",
          "Queues a grading of {name: source}; NotFound for a problem the user may not see.")
      .def(
          "get",
          [](S& s, const std::string& user_id, const std::string& id, double wait) {
            return Blocking([&] { return s.service->Get(user_id, id, Millis(wait)); });
          },
          py::arg("user_id"), py::arg("submission_id"), py::arg("wait") = 0.0)
      .def(
          "wait",
          [](S& s, const std::string& user_id, const std::string& id, double timeout) {
            return WaitDone<SubmissionView>(
                [&](std::chrono::milliseconds w) { return s.service->Get(user_id, id, w); },
                [](const SubmissionView& v) { return v.state == JobState::kDone; }, timeout,
                "submission " + id);
          },
          py::arg("user_id"), py::arg("submission_id"), py::arg("timeout") = 300.0,
          "Waits until graded; the Submission's tests hold the per-test verdicts.")
      .def(
          "iter",
          [](S& s, const std::string& user_id, std::optional<std::string> problem) {
            std::shared_ptr<Submissions> subs = s.service;
            return PageIterator<SubmissionView>([subs, user_id, problem](const PageRequest& page) {
              SubmissionListRequest request;
              request.page = page;
              request.problem = problem;
              return subs->List(user_id, request);
            });
          },
          py::arg("user_id"), py::arg("problem") = py::none(),
          "The user's submissions, newest first (without test reports).")
      .def(
          "progress",
          [](S& s, const std::string& user_id) {
            return Blocking([&] { return s.service->Progress(user_id); });
          },
          py::arg("user_id"), "The user's progress: per problem and overall.");
}

}  // namespace codeyard::python
