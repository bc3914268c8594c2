// The router records which route pattern answered (the metrics' route label) and lists its
// routes for --print-routes.
#include <catch2/catch.hpp>

#include <thread>
#include <tuple>

#include "inline_read_guard.hpp"
#include "route_options.hpp"
#include "router.hpp"

using namespace codeyard;
using namespace codeyard::server;

namespace {

Request Get(std::string path) {
  Request r;
  r.method = Method::kGet;
  r.path = std::move(path);
  return r;
}

Router MakeRouter() {
  Router router;
  router.Add(Method::kGet, "/api/v1/health",
             [](const Request&) -> Result<Response> { return Response::Json(200, "{}"); });
  router.Add(Method::kGet, "/api/v1/workspaces/{id}/files/{path...}",
             [](const Request& r) -> Result<Response> {
               if (r.Param("path") == "missing") return Fail(Error::Code::kNotFound, "no file");
               return Response::Json(200, "{}");
             });
  return router;
}

}  // namespace

TEST_CASE("router: a response names the pattern that answered, never the raw path", "[router]") {
  const Router router = MakeRouter();
  CHECK(router.Handle(Get("/api/v1/health")).route == "/api/v1/health");
  const Response file = router.Handle(Get("/api/v1/workspaces/abc/files/src/a.py"));
  CHECK(file.status == 200);
  CHECK(file.route == "/api/v1/workspaces/{id}/files/{path...}");
  // A handler's error keeps the route.
  const Response missing = router.Handle(Get("/api/v1/workspaces/abc/files/missing"));
  CHECK(missing.status == 404);
  CHECK(missing.route == "/api/v1/workspaces/{id}/files/{path...}");
  // The router's own 404 and 405 are "unmatched".
  CHECK(router.Handle(Get("/api/v1/nothing/here")).route == "unmatched");
  Request post = Get("/api/v1/health");
  post.method = Method::kPost;
  const Response not_allowed = router.Handle(post);
  CHECK(not_allowed.status == 405);
  CHECK(not_allowed.route == "unmatched");
}

TEST_CASE("router: Routes lists every method and pattern in registration order", "[router]") {
  const auto routes = MakeRouter().Routes();
  REQUIRE(routes.size() == 2);
  CHECK(routes[0] == std::pair<Method, std::string>(Method::kGet, "/api/v1/health"));
  CHECK(routes[1].second == "/api/v1/workspaces/{id}/files/{path...}");
}

namespace codeyard::server {

TEST_CASE("router: a limit's refusal is 429 with Retry-After and names the limit", "[router]") {
  Router router;
  router.Add(Method::kPost, "/api/v1/things", [](const Request&) -> Result<Response> {
    return Fail(Error(Error::Code::kResourceExhausted, "too many things")
                    .WithLimit("things.per_minute", 7));
  });
  router.Add(Method::kGet, "/api/v1/things", [](const Request&) -> Result<Response> {
    return Fail(Error::Code::kResourceExhausted, "no limit named");
  });
  Request post;
  post.method = Method::kPost;
  post.path = "/api/v1/things";
  const Response refused = router.Handle(post);
  CHECK(refused.status == 429);
  CHECK(refused.limit == "things.per_minute");
  const auto retry = std::find_if(refused.headers.begin(), refused.headers.end(),
                                  [](const auto& h) { return h.first == "Retry-After"; });
  REQUIRE(retry != refused.headers.end());
  CHECK(retry->second == "7");

  Request get;
  get.path = "/api/v1/things";
  const Response bare = router.Handle(get);
  CHECK(bare.status == 429);
  CHECK(bare.limit.empty());
  const auto one = std::find_if(bare.headers.begin(), bare.headers.end(),
                                [](const auto& h) { return h.first == "Retry-After"; });
  REQUIRE(one != bare.headers.end());
  CHECK(one->second == "1");
}

}  // namespace codeyard::server

TEST_CASE("router: Options finds the route Handle would run, before any body is read", "[router]") {
  Router router = MakeRouter();
  router.Add(
      Method::kPost, "/api/v1/workspaces/{id}/exec",
      [](const Request&) -> Result<Response> { return Response::Json(200, "{}"); },
      RouteOptions{Work::kLong, 1 << 20});
  REQUIRE(router.SetOptions(Method::kGet, "/api/v1/health", RouteOptions{Work::kInline, 0}));
  CHECK(router.SetOptions(Method::kGet, "/api/v1/nope", {}).error().code() ==
        Error::Code::kNotFound);

  CHECK(router.Options(Method::kGet, "/api/v1/health").work == Work::kInline);
  CHECK(router.Options(Method::kHead, "/api/v1/health").work == Work::kInline);
  const RouteOptions& exec = router.Options(Method::kPost, "/api/v1/workspaces/w1/exec");
  CHECK(exec.work == Work::kLong);
  CHECK(exec.max_body_bytes == 1 << 20);
  // Anything Handle would not run with that route gets the unrouted options.
  for (const char* path : {"/api/v1/workspaces//exec", "/api/v1/workspaces/w1/exec/x",
                           "/api/v1/workspaces/w1", "", "api/v1/health", "/api/v1/health/"}) {
    CAPTURE(path);
    CHECK(&router.Options(Method::kPost, path) == &Router::UnroutedOptions());
  }
  CHECK(&router.Options(Method::kPost, "/api/v1/health") == &Router::UnroutedOptions());
  // A rest parameter takes one or more non-empty segments, as in Handle.
  const auto files = [&](const char* path) {
    return &router.Options(Method::kGet, path) != &Router::UnroutedOptions();
  };
  CHECK(files("/api/v1/workspaces/w1/files/a"));
  CHECK(files("/api/v1/workspaces/w1/files/a/b/c.txt"));
  CHECK_FALSE(files("/api/v1/workspaces/w1/files"));
  CHECK_FALSE(files("/api/v1/workspaces/w1/files/"));
  CHECK_FALSE(files("/api/v1/workspaces/w1/files/a//b"));
  CHECK_FALSE(files("/api/v1/workspaces/w1/files/a/"));
  for (const char* path : {"/api/v1/workspaces/w1/files/a", "/api/v1/workspaces/w1/files/a/b",
                           "/api/v1/workspaces/w1/files/a//b", "/api/v1/workspaces/w1/files/a/"}) {
    CAPTURE(path);
    CHECK(files(path) == (router.Handle(Get(path)).route != "unmatched"));
  }
}

TEST_CASE("route options: reads run inline only over SQLite on a file with readers", "[router]") {
  const StorageInfo file{"sqlite", "/data/codeyard.db", "3.40"};
  CHECK(InlineReaders(file, "sqlite:///data/codeyard.db") == 4);
  CHECK(InlineReaders(file, "sqlite:///data/codeyard.db?readers=8&busy_timeout_ms=100") == 8);
  CHECK(InlineReaders(file, "sqlite:///data/codeyard.db?busy_timeout_ms=100&readers=10") == 10);
  CHECK(InlineReaders(file, "sqlite:///data/codeyard.db?busy_timeout_ms=100") == 4);
  // Without readers every read takes the writer's lock, held through any write.
  CHECK(InlineReaders(file, "sqlite:///data/codeyard.db?readers=0") == 0);
  CHECK(InlineReaders(file, "sqlite:///data/codeyard.db?busy_timeout_ms=9&readers=00") == 0);
  CHECK(InlineReaders({"sqlite", ":memory:", "3.40"}, "sqlite::memory:") == 0);
  CHECK(InlineReaders({"postgres", "db:5432/codeyard", "16"}, "postgres://db/codeyard") == 0);
}

TEST_CASE("inline reads: a heavy or waiting one sends the next pause's reads to the workers",
          "[router]") {
  using Sample = InlineReadGuard::Sample;
  using std::chrono::microseconds;
  const InlineReadGuard::Clock::time_point t0 =
      InlineReadGuard::Clock::time_point() + std::chrono::hours(1);
  const auto read = [&](microseconds cpu, int64_t sleeps, microseconds took) {
    InlineReadGuard guard;
    guard.Ran(Sample{microseconds(500), 7, t0},
              Sample{microseconds(500) + cpu, 7 + sleeps, t0 + took});
    return guard;
  };
  const auto end = [&](microseconds took) { return t0 + took; };

  // Usual reads, and a read preempted for long by other processes (no sleep of its own).
  for (const auto& [cpu, sleeps, took] :
       {std::tuple{microseconds(40), 0, microseconds(45)},
        std::tuple{InlineReadGuard::kSlowRead, 0, InlineReadGuard::kSlowRead},
        std::tuple{microseconds(40), 0, microseconds(30000)},
        std::tuple{microseconds(40), 1, microseconds(200)}}) {
    CAPTURE(cpu.count(), sleeps, took.count());
    CHECK(read(cpu, sleeps, took).Allows(end(took)));
  }
  // A large file (CPU), a wait for a reader connection or the disk (slept, and long).
  for (const auto& [cpu, sleeps, took] : {std::tuple{microseconds(5000), 0, microseconds(5000)},
                                          std::tuple{microseconds(60), 1, microseconds(20000)}}) {
    CAPTURE(cpu.count(), sleeps, took.count());
    const InlineReadGuard guard = read(cpu, sleeps, took);
    CHECK_FALSE(guard.Allows(end(took)));
    CHECK_FALSE(guard.Allows(end(took) + InlineReadGuard::kPause - microseconds(1)));
    CHECK(guard.Allows(end(took) + InlineReadGuard::kPause));
  }

  // The samples come from this thread: CPU moves with work done, sleeps with a sleep.
  const Sample before = InlineReadGuard::Now();
  volatile uint64_t sink = 0;
  for (uint64_t i = 0; i < 5000000; ++i) sink = sink + i;
  std::this_thread::sleep_for(microseconds(100));  // what is measured: a sleep of its own
  const Sample after = InlineReadGuard::Now();
  CHECK(after.cpu > before.cpu);
  CHECK(after.sleeps > before.sleeps);
  CHECK(after.at > before.at);

  // Begin() samples the thread once per turn; Ran(started) samples it again only after a read
  // that took over kSlowRead. A read that sleeps that long is caught; light ones are not.
  InlineReadGuard slow;
  slow.NewTurn();
  const InlineReadGuard::Clock::time_point started = slow.Begin();
  std::this_thread::sleep_for(2 * InlineReadGuard::kSlowRead);
  slow.Ran(started);
  CHECK_FALSE(slow.Allows(InlineReadGuard::Clock::now()));

  InlineReadGuard light;  // reads that neither sleep nor compute for long
  for (int turn = 0; turn < 3; ++turn) {
    light.NewTurn();
    for (int n = 0; n < 4; ++n) light.Ran(light.Begin());
  }
  CHECK(light.Allows(InlineReadGuard::Clock::now()));
}
