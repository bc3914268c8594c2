// The one place that assembles the library (codeyard/services.hpp): the graph opens from
// Options alone, refuses to start without an executor, reads its configuration keys, and its
// services keep what they use alive after the Services object (and each other) are gone. The
// IDE's services (settings, search, archives, downloads, runs, the port relay, language
// servers) come from the same graph, so an embedding application gets them without the server.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>

#include "codeyard/backend/fake_executor.hpp"
#include "codeyard/health_stats.hpp"
#include "codeyard/id.hpp"
#include "codeyard/services.hpp"
#include "services/workspace_world.hpp"

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

TEST_CASE("services: the password cost is libsodium's interactive one unless configured",
          "[services]") {
  auto config = LoadConfig(ConfigInputs{});
  REQUIRE(config.has_value());
  const PasswordCost cost = ServiceOptionsFrom(*config).accounts.password_cost;
  CHECK(cost.opslimit == PasswordCost{}.opslimit);
  CHECK(cost.memlimit == PasswordCost{}.memlimit);
  ConfigInputs too_small;
  too_small.flags = {{"auth.password_memory_kib", "7"}};
  auto refused = LoadConfig(too_small);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("auth.password_memory_kib") != std::string::npos);
}

TEST_CASE("services: the configuration's keys reach every service", "[services]") {
  ConfigInputs inputs;
  inputs.flags = {{"data_dir", "/srv/cy"},
                  {"executor.pool_size", "5"},
                  {"jobs.workers", "7"},
                  {"limits.jobs_per_minute", "3"},
                  {"server.replica_id", "r-9"},
                  {"storage.min_free_bytes", "1234"},
                  {"reviews.auto_assign", "true"},
                  {"search.max_results", "17"},
                  {"files.download_ttl_s", "77"},
                  {"run_session.wall_time_limit_s", "99"},
                  {"terminal.reauth_interval_s", "3"},
                  {"relay.preview_ttl_s", "600"},
                  {"relay.timeout_s", "9"},
                  {"auth.password_ops", "3"},
                  {"auth.password_memory_kib", "16"}};
  auto config = LoadConfig(inputs);
  REQUIRE(config.has_value());
  const ServiceOptions o = ServiceOptionsFrom(*config);
  CHECK(o.accounts.password_cost.opslimit == 3);
  CHECK(o.accounts.password_cost.memlimit == 16384);
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
  CHECK(o.search.max_results == 17);
  CHECK(o.downloads.ttl_s == 77);
  CHECK(o.run_sessions.limits.wall_time == std::chrono::seconds(99));
  CHECK(o.run_sessions.reauth_interval == std::chrono::seconds(3));
  CHECK(o.relay.preview_ttl == std::chrono::seconds(600));
  CHECK(o.relay.timeout == std::chrono::seconds(9));
  CHECK(o.relay.secret.empty());  // Open takes the accounts' secret

  const Options options = OptionsFrom(*config);
  CHECK(options.storage_uri == "sqlite:///srv/cy/codeyard.db");
  // A bare local executor keeps its pods beside the data, so replicas sharing it share pods,
  // and serves the images `codeyard image build` made under the data dir.
  CHECK(options.executor_uri == "local:?state_dir=/srv/cy/pods&images_dir=/srv/cy/images");
  CHECK(options.min_free_bytes == 1234);
}

TEST_CASE("services: the IDE's services come from the graph, previews signed by its secret",
          "[services]") {
  Options options;
  options.executor_uri = "fake:";
  auto platform = Platform::Open(options);
  REQUIRE(platform.has_value());
  auto opened = Services::Open(*platform, WithSecret());
  REQUIRE(opened.has_value());
  const Services& s = **opened;
  auto user = s.accounts().Register({"ada", "correct horse battery", "", {}});
  REQUIRE(user.has_value());
  auto ws = s.workspaces().Create(user->id, "ide");
  REQUIRE(ws.has_value());
  REQUIRE(s.files().Write(user->id, ws->id, "src/a.py", "print('needle')\n").has_value());

  SettingsPatch patch;
  patch.autosave = false;
  REQUIRE(s.settings().Update(user->id, patch).has_value());
  CHECK_FALSE(s.settings().Get(user->id)->autosave);
  auto found = s.file_search().Search(user->id, ws->id, {"needle", false, false});
  REQUIRE(found.has_value());
  CHECK(found->matches == 1);
  auto plan = s.archives().Plan(user->id, ws->id, "src");
  REQUIRE(plan.has_value());
  auto login = s.accounts().Login("ada", "correct horse battery");
  REQUIRE(login.has_value());
  auto claims = s.accounts().VerifyAccessToken(login->access_token);
  REQUIRE(claims.has_value());
  auto grant =
      s.downloads().Sign(user->id, claims->session_id, ws->id, "src/a.py", DownloadKind::kFile);
  REQUIRE(grant.has_value());
  CHECK(s.downloads().Verify(grant->token)->path == "src/a.py");
  CHECK(s.run_sessions().running() == 0);
  CHECK(s.port_relay().options().secret == std::string(40, 's'));
  CHECK(s.shared_language_servers() != nullptr);

  // A preview ticket verifies on another replica with the same accounts secret, not on one
  // with another: the relay's key comes from the accounts' secret.
  auto ticket = s.port_relay().IssuePreview(user->id, claims->session_id, ws->id, 8000);
  REQUIRE(ticket.has_value());
  auto replica = Services::Open(*platform, WithSecret());
  REQUIRE(replica.has_value());
  CHECK((*replica)->port_relay().VerifyPreview(ticket->token, ws->id, 8000) == user->id);
  ServiceOptions other = WithSecret();
  other.accounts.secret = std::string(40, 't');
  auto stranger = Services::Open(*platform, std::move(other));
  REQUIRE(stranger.has_value());
  CHECK((*stranger)->port_relay().VerifyPreview(ticket->token, ws->id, 8000).error().code() ==
        Code::kUnauthenticated);
}

}  // namespace
}  // namespace codeyard

namespace codeyard {

// mon20: the counters behind codeyard_pod_create_failures_total and
// codeyard_seccomp_kills_total, on the real sandbox. The process makes a 32-bit system call
// (int 0x80) from a 64-bit program, which the pod's seccomp filter answers with
// SECCOMP_RET_KILL_PROCESS (needs a kernel with IA-32 emulation, as x86-64 Linux has by default).
TEST_CASE("services: the platform counts failed pod creations and seccomp kills", "[services]") {
  std::filesystem::path state_dir;
  Options options;
  options.executor = testing::OpenLocalExecutor("cy-mon-", &state_dir);
  auto platform = Platform::Open(options);
  REQUIRE(platform.has_value());
  Executor& executor = *(*platform)->executor();
  CHECK(ExecutorEventsOf(**platform).pod_create_failures == 0);

  PodSpec limited;
  limited.limits.memory_bytes = uint64_t{256} << 20;
  limited.limits.pids = 64;
  PodSpec missing = limited;
  missing.image = "no-such-image";
  CHECK_FALSE(executor.CreatePod(missing).has_value());
  CHECK(ExecutorEventsOf(**platform).pod_create_failures == 1);

  auto pod = executor.CreatePod(limited);
  if (!pod) FAIL("CreatePod: " << pod.error().ToString());
  CHECK(ExecutorEventsOf(**platform).pod_create_failures == 1);
  const auto run = [&](std::string code) {
    ExecSpec spec;
    spec.argv = {"python3", "-c", std::move(code)};
    spec.cwd = "/";
    spec.wall_time_limit = std::chrono::seconds(30);
    auto process = (*pod)->Exec(spec);
    REQUIRE(process.has_value());
    auto status = (*process)->Wait();
    REQUIRE(status.has_value());
    CHECK((*process)->Wait().has_value());  // a second Wait counts nothing more
    return *status;
  };
  CHECK(run("print(1)").exit_code == 0);
  CHECK(ExecutorEventsOf(**platform).seccomp_kills == 0);
  const ExitStatus killed =
      run("import ctypes, mmap\n"
          "m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
          "m.write(bytes([0xb8, 0x14, 0, 0, 0, 0xcd, 0x80, 0xc3]))  # getpid via int 0x80\n"
          "f = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))\n"
          "print(f())\n");
  CHECK(killed.signal == SIGSYS);
  CHECK(ExecutorEventsOf(**platform).seccomp_kills == 1);
  // A pod found again by id is watched the same way.
  auto again = executor.GetPod((*pod)->id());
  REQUIRE(again.has_value());
  ExecSpec kill_self;
  kill_self.argv = {"python3", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSYS)"};
  kill_self.cwd = "/";
  auto process = (*again)->Exec(kill_self);
  REQUIRE(process.has_value());
  CHECK((*process)->Wait()->signal == SIGSYS);
  CHECK(ExecutorEventsOf(**platform).seccomp_kills == 2);

  REQUIRE(executor.DeletePod((*pod)->id()).has_value());
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
}

}  // namespace codeyard
