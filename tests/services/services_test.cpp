// The one place that assembles the library (codeyard/services.hpp): the graph opens from
// Options alone, refuses to start without an executor, reads its configuration keys, and its
// services keep what they use alive after the Services object (and each other) are gone.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "codeyard/backend/fake_executor.hpp"
#include "codeyard/id.hpp"
#include "codeyard/services.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;

ServiceOptions WithSecret(ServiceOptions options = {}) {
  options.accounts.secret = std::string(40, 's');
  options.start_background = false;
  return options;
}

TEST_CASE("services: the graph opens from Options and its services outlive it", "[services]") {
  auto fake = std::make_shared<FakeExecutor>();
  Options options;
  options.executor = fake;
  auto opened = Services::Open(options, WithSecret());
  REQUIRE(opened.has_value());
  std::shared_ptr<Services> services = std::move(*opened);
  const std::shared_ptr<Platform> platform = services->shared_platform();
  std::shared_ptr<Accounts> accounts = services->shared_accounts();
  std::shared_ptr<Files> files = services->shared_files();
  std::shared_ptr<Workspaces> workspaces = services->shared_workspaces();
  std::shared_ptr<Terminals> terminals = services->shared_terminals();
  std::shared_ptr<Reviews> reviews = services->shared_reviews();
  services.reset();  // the graph object goes; what the caller holds keeps working

  auto user = accounts->Register({"ada", "correct horse battery", "", {}});
  REQUIRE(user.has_value());
  accounts.reset();  // Terminals still holds Accounts
  auto ws = workspaces->Create(user->id, "kept");
  REQUIRE(ws.has_value());
  REQUIRE(files->Write(user->id, ws->id, "a.txt", "alive").has_value());
  REQUIRE(workspaces->Open(user->id, ws->id).has_value());
  CHECK(fake->calls().create_pod == 1);
  CHECK(platform->live_pods() == 1);  // the platform counts the pods made through it
  terminals.reset();
  CHECK(workspaces->Stop(user->id, ws->id).has_value());
  CHECK(platform->live_pods() == 0);
  auto read = files->Read(user->id, ws->id, "a.txt");
  REQUIRE(read.has_value());
  CHECK(read->content == "alive");
  auto review = reviews->Create(user->id, {ws->id, "kept", "", ReviewPriority::kNormal, 0});
  REQUIRE(review.has_value());
  CHECK(reviews->ReadFile(user->id, review->id, 1, "a.txt")->content == "alive");
}

TEST_CASE("services: a platform outlives the caller's handle while a service holds it",
          "[services]") {
  Options options;
  options.executor_uri = "fake:";
  auto platform = Platform::Open(options);
  REQUIRE(platform.has_value());
  auto files = std::make_shared<Files>(*platform);
  const std::weak_ptr<Platform> weak = *platform;
  platform->reset();
  CHECK_FALSE(weak.expired());  // Files keeps it
  files.reset();
  CHECK(weak.expired());
}

TEST_CASE("services: opening without an executor is refused with a clear error", "[services]") {
  Options options;
  auto opened = Services::Open(options, WithSecret());
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().code() == Code::kInvalidArgument);
  CHECK(opened.error().message().find("executor") != std::string::npos);

  options.executor_uri = "nosuch:";
  auto unknown = Services::Open(options, WithSecret());
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == Code::kInvalidArgument);
  CHECK(unknown.error().ToString().find("cannot open executor nosuch:") != std::string::npos);

  // A platform opened for storage alone has no executor; services over it are refused.
  auto storage_only = Platform::Open(Options{});
  REQUIRE(storage_only.has_value());
  CHECK((*storage_only)->executor() == nullptr);
  CHECK(Services::Open(*storage_only, WithSecret()).error().code() == Code::kInvalidArgument);
}

TEST_CASE("services: the configuration's keys reach every service", "[services]") {
  ConfigInputs inputs;
  inputs.flags = {{"data_dir", "/srv/cy"},        {"executor.pool_size", "5"},
                  {"jobs.workers", "7"},          {"limits.jobs_per_minute", "3"},
                  {"server.replica_id", "r-9"},   {"storage.min_free_bytes", "1234"},
                  {"reviews.auto_assign", "true"}};
  auto config = LoadConfig(inputs);
  REQUIRE(config.has_value());
  const ServiceOptions o = ServiceOptionsFrom(*config);
  CHECK(o.runner.pool_size == 5);
  // Runs are bounded by the job queue's workers and admission, not by the Runner's caps.
  CHECK(o.runner.max_concurrent == 0);
  CHECK(o.runner.max_concurrent_per_user == 0);
  CHECK(o.jobs.workers == 7);
  CHECK(o.jobs.jobs_per_minute == 3);
  CHECK(o.jobs.replica_id == "r-9");
  CHECK(o.workspaces.replica_id == "r-9");
  CHECK(o.reviews.auto_assign);
  CHECK(o.accounts.secret.empty());
  CHECK(o.start_background);

  const Options options = OptionsFrom(*config);
  CHECK(options.storage_uri == "sqlite:///srv/cy/codeyard.db");
  // A bare local executor keeps its pods beside the data, so replicas sharing it share pods.
  CHECK(options.executor_uri == "local:?state_dir=/srv/cy/pods");
  CHECK(options.min_free_bytes == 1234);
}

}  // namespace
}  // namespace codeyard
