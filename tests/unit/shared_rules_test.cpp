// Rules every caller shares: the time rule of a run (codeyard/run.hpp WithTimeLimit) and the
// idle reaper's period (codeyard/workspaces.hpp IdleReaperPeriod).
#include <catch2/catch.hpp>
#include <chrono>

#include "codeyard/config.hpp"
#include "codeyard/run.hpp"
#include "codeyard/workspaces.hpp"

using namespace std::chrono_literals;

TEST_CASE("the wall time is twice the CPU time, at least one second, unless given") {
  const codeyard::RunLimits base;
  auto limits = codeyard::WithTimeLimit(base, 2.5);
  CHECK(limits.cpu_time == 2500ms);
  CHECK(limits.wall_time == 5000ms);
  limits = codeyard::WithTimeLimit(base, 0.1);
  CHECK(limits.cpu_time == 100ms);
  CHECK(limits.wall_time == 1000ms);
  limits = codeyard::WithTimeLimit(base, 1, 7.25);
  CHECK(limits.wall_time == 7250ms);
  // Everything else is kept.
  CHECK(limits.memory_bytes == base.memory_bytes);
  CHECK(limits.output_bytes == base.output_bytes);
  // Rounded, not truncated: 0.0015 s is 2 ms (1.5 rounds up), 0.29 s is 290 ms.
  CHECK(codeyard::WithTimeLimit(base, 0.0015).cpu_time == 2ms);
  CHECK(codeyard::WithTimeLimit(base, 0.29).cpu_time == 290ms);
}

TEST_CASE("a process enforces the run's CPU, wall and output limits") {
  codeyard::RunLimits limits = codeyard::WithTimeLimit({}, 3);
  limits.output_bytes = 1234;
  codeyard::ExecSpec spec;
  spec.kill_on_output_limit = false;
  codeyard::ApplyRunLimits(limits, spec);
  CHECK(spec.cpu_time_limit == 3000ms);
  CHECK(spec.wall_time_limit == 6000ms);
  CHECK(spec.output_limit_bytes == 1234);
  CHECK(spec.kill_on_output_limit);
}

TEST_CASE("the idle reaper runs every half idle timeout, at most a lease, within 1-60 s") {
  codeyard::WorkspaceOptions options;
  options.idle_timeout = std::chrono::minutes(15);
  options.lease = std::chrono::seconds(15);
  CHECK(codeyard::IdleReaperPeriod(options) == 15s);
  options.lease = std::chrono::minutes(10);
  CHECK(codeyard::IdleReaperPeriod(options) == 60s);
  options.idle_timeout = 4s;
  CHECK(codeyard::IdleReaperPeriod(options) == 2s);
  options.idle_timeout = 1s;
  CHECK(codeyard::IdleReaperPeriod(options) == 1s);
}

TEST_CASE("an unset lease renewal is a third of the lease, a set one is kept") {
  codeyard::Config config;
  config.workspace_lease_s = 3;
  CHECK(codeyard::WorkspaceOptionsFrom(config).lease_renew == 1s);
  config.workspace_lease_s = 15;
  CHECK(codeyard::WorkspaceOptionsFrom(config).lease_renew == 5s);
  config.workspace_lease_s = 2;
  CHECK(codeyard::WorkspaceOptionsFrom(config).lease_renew == 666ms);
  config.workspace_lease_renew_s = 1;
  CHECK(codeyard::WorkspaceOptionsFrom(config).lease_renew == 1s);
}
