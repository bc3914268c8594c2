// fault21: storage faults in the job queue's rounds, run on the test's thread with storage
// call k failing, k = 1, 2, ...: a worker's round (claim, run, record), the heartbeat's
// renewal of a running job's claim, and the delivery of result callbacks to a real HTTP
// receiver on loopback. What each must keep: a job ends once, with its result; a claim is not
// lost to a failed renewal; a result is delivered at least once, and recorded once delivered.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/storage_faults.hpp"

namespace codeyard::storage_faults {
namespace {

using Code = Error::Code;
using testing::Must;
constexpr Code kFaults[] = {Code::kInternal, Code::kUnavailable, Code::kDeadlineExceeded};

// An HTTP receiver on 127.0.0.1: answers every POST 200 and keeps each body, by the job id in
// it. One connection at a time, as the callback thread sends them.
class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string authority() const { return "127.0.0.1:" + std::to_string(port_); }
  // The bodies received that name `job_id`.
  std::vector<std::string> For(const std::string& job_id) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const std::string& body : bodies_) {
      if (body.find("\"" + job_id + "\"") != std::string::npos) out.push_back(body);
    }
    return out;
  }

 private:
  void Serve() {
    for (;;) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;  // shut down
      std::string request;
      char buffer[4096];
      size_t want = std::string::npos;
      while (request.size() < want) {
        const ssize_t n = ::read(c, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
        const size_t end = request.find("\r\n\r\n");
        if (want == std::string::npos && end != std::string::npos) {
          const size_t at = request.find("Content-Length: ");
          const size_t length = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
          want = end + 4 + length;
        }
      }
      const size_t end = request.find("\r\n\r\n");
      {
        std::lock_guard lock(mu_);
        if (end != std::string::npos) bodies_.push_back(request.substr(end + 4));
      }
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::write(c, answer.data(), answer.size());
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

// A job worker's round (Jobs::RunOne: claim, run, record the result with its hook in one
// transaction), a fresh job for each k: a faulted round leaves the job queued (the claim
// failed), running under a claim that lapses (the result could not be recorded), or done; a
// worker a lease later finishes it, and it ends with exactly one result: done, "ok", the
// program's output, and one run of usage recorded.
TEMPLATE_TEST_CASE("storage faults in a job worker's round: a job ends once, with its result",
                   "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  ManualClock& clock = w.reviews.clock();
  FaultPlan& plan = w.db->faulty().plan;
  const std::string user = w.reviews.AddUser("worker", 0);
  int64_t faulted = 0;
  for (const Code code : kFaults) {
    for (int64_t k = 1;; ++k) {
      REQUIRE(k < 500);
      INFO(CodeName(code) << " from storage call " << k);
      const std::string id = Must(w.jobs->Submit(user, {Hello()})).ids.at(0);
      plan.Arm(k, code);
      const Result<bool> ran = w.jobs->RunOne();
      plan.Disarm();
      INFO("the first failed: " << plan.first);
      const bool clean = plan.failed == 0;
      if (!clean) {
        ++faulted;
        if (!ran) CHECK(ran.error().code() == code);
        const Job job = Must(w.jobs->Get(user, id, std::chrono::milliseconds(0)));
        if (job.state == JobState::kQueued) CHECK(job.attempt == 0);
        if (job.state == JobState::kRunning) CHECK(job.attempt == 1);
        // A lease later its claim, if any, has lapsed, and a worker runs it to its end.
        clock.Advance(w.jobs->options().lease + std::chrono::seconds(1));
        while (Must(w.jobs->RunOne())) {
        }
      } else {
        CHECK(Must(ran));
      }
      const Job job = Must(w.jobs->Get(user, id, std::chrono::milliseconds(0)));
      CHECK(job.state == JobState::kDone);
      CHECK(job.verdict == "ok");
      CHECK(job.result.find("\"stdout\":\"1\\n\"") != std::string::npos);
      CHECK(job.attempt <= 2);
      if (clean) break;
    }
  }
  CHECK_FALSE(Must(w.jobs->RunOne()));  // nothing left queued or claimed
  WARN("job worker rounds: " << faulted << " faulted runs");
}

// The heartbeat's round (Jobs::RenewClaims) while a job runs on a worker thread, held there by
// its handler until the test lets it go: a failed renewal keeps the claim (the worker goes on,
// the job stays its attempt), the next clean one renews it, and no other worker can take the
// job in between; half a lease passes before each round, so a renewal that did nothing would
// let the claim lapse by the next. The job ends once, on its first attempt, with its result.
TEMPLATE_TEST_CASE("storage faults in the job heartbeat: a failed renewal keeps the claim",
                   "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  ManualClock& clock = w.reviews.clock();
  FaultPlan& plan = w.db->faulty().plan;
  std::mutex mu;
  std::condition_variable cv;
  bool running = false;
  bool release = false;
  Must(w.jobs->Register("held", [&](const Job&) -> Result<JobOutcome> {
    std::unique_lock lock(mu);
    running = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return JobOutcome{"ok", "held to the end"};
  }));
  const std::string user = w.reviews.AddUser("beat", 0);
  JobSubmission held;
  held.kind = "held";
  held.payload = "{}";
  const std::string id = Must(w.jobs->Submit(user, {held})).ids.at(0);
  Result<bool> ran = false;
  std::thread worker([&] { ran = w.jobs->RunOne(); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return running; });
  }
  const auto half_lease = w.jobs->options().lease / 2;
  int64_t faulted = 0;
  for (const Code code : kFaults) {
    for (int64_t k = 1;; ++k) {
      REQUIRE(k < 100);
      INFO(CodeName(code) << " from storage call " << k);
      clock.Advance(half_lease);
      plan.Arm(k, code);
      const int renewed = w.jobs->RenewClaims();
      plan.Disarm();
      if (plan.failed == 0) {
        CHECK(renewed == 1);
        break;
      }
      ++faulted;
      INFO("the first failed: " << plan.first);
      CHECK(renewed == 0);
      const Job job = Must(w.jobs->Get(user, id, std::chrono::milliseconds(0)));
      CHECK(job.state == JobState::kRunning);
      CHECK(job.attempt == 1);
      CHECK_FALSE(Must(w.jobs->RunOne()));  // not claimable: its lease still runs
      clock.Advance(half_lease);
      CHECK(w.jobs->RenewClaims() == 1);  // still this worker's claim
    }
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  worker.join();
  CHECK(Must(ran));
  const Job job = Must(w.jobs->Get(user, id, std::chrono::milliseconds(0)));
  CHECK(job.state == JobState::kDone);
  CHECK(job.attempt == 1);
  CHECK(job.result == "held to the end");
  CHECK(w.jobs->RenewClaims() == 0);  // nothing runs here any more
  WARN("heartbeat rounds: " << faulted << " faulted runs");
}

// The callback thread's round (Jobs::DeliverCallbacks), a fresh finished job for each k, to a
// receiver on loopback: a faulted round sends nothing (taking the due ones failed), or sends
// and fails to record it (the delivery stays taken until its hold lapses, then goes again).
// Once the hold has passed, clean rounds deliver it: the receiver has it once or twice, the
// same body each time, the job says "delivered" after one attempt or two, and nothing is sent
// again after that.
TEMPLATE_TEST_CASE("storage faults in result callbacks: delivered at least once, then recorded",
                   "[faults][storage_faults]", CODEYARD_STORAGE_BACKENDS) {
  World w(TestType::Create());
  ManualClock& clock = w.reviews.clock();
  FaultPlan& plan = w.db->faulty().plan;
  Receiver receiver;
  JobsOptions options = w.jobs->options();
  options.callback_hosts = {receiver.authority()};
  Jobs jobs(w.reviews.platform(), w.runner, options);
  const std::string user = w.reviews.AddUser("hooked", 0);
  int64_t faulted = 0;
  int64_t twice = 0;  // sent, not recorded, sent again
  for (const Code code : kFaults) {
    for (int64_t k = 1;; ++k) {
      REQUIRE(k < 100);
      INFO(CodeName(code) << " from storage call " << k);
      JobSubmission s = Hello();
      s.callback_url = "http://" + receiver.authority() + "/done";
      const std::string id = Must(jobs.Submit(user, {s})).ids.at(0);
      REQUIRE(Must(jobs.RunOne()));
      plan.Arm(k, code);
      (void)jobs.DeliverCallbacks();
      plan.Disarm();
      const bool clean = plan.failed == 0;
      INFO("the first failed: " << plan.first);
      if (!clean) {
        ++faulted;
        clock.Advance(std::chrono::seconds(21));  // past the hold of a delivery not recorded
        for (int round = 0; round < 3; ++round) (void)jobs.DeliverCallbacks();
      }
      const Job job = Must(jobs.Get(user, id, std::chrono::milliseconds(0)));
      CHECK(job.callback_state == "delivered");
      const std::vector<std::string> bodies = receiver.For(id);
      CHECK(!bodies.empty());
      CHECK(bodies.size() <= 2);
      CHECK(job.callback_attempts == 1);  // a delivery not recorded was not counted
      if (bodies.size() == 2) {
        CHECK(bodies[1] == bodies[0]);
        ++twice;
      }
      if (clean) CHECK(bodies.size() == 1);
      clock.Advance(std::chrono::minutes(10));
      (void)jobs.DeliverCallbacks();
      CHECK(receiver.For(id).size() == bodies.size());
      if (clean) break;
    }
  }
  CHECK(twice > 0);  // the round has a call whose failure sends a result twice
  WARN("callback rounds: " << faulted << " faulted runs, " << twice << " delivered twice");
}

}  // namespace
}  // namespace codeyard::storage_faults
