#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "codeyard/config.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/workspaces.hpp"

namespace codeyard {
namespace {

struct TempFile {
  explicit TempFile(const std::string& text) {
    path = std::filesystem::temp_directory_path() /
           ("codeyard-config-" + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".json");
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
};

TEST_CASE("defaults, then file, then environment, then flags", "[config]") {
  auto defaults = LoadConfig({});
  REQUIRE(defaults);
  CHECK(defaults->listen_host == "127.0.0.1");
  CHECK(defaults->listen_port == 8080);
  CHECK(defaults->EffectiveStorageUri() == "sqlite://./data/codeyard.db");

  TempFile file(R"({
    // comments are fine
    "server": {"listen": "0.0.0.0:9000"},
    "data_dir": "/var/lib/codeyard/",
    "log.level": "debug",
    "dev_mode": true,
  })");
  ConfigInputs in;
  in.file = file.path.string();
  auto from_file = LoadConfig(in);
  REQUIRE(from_file);
  CHECK(from_file->listen_host == "0.0.0.0");
  CHECK(from_file->listen_port == 9000);
  CHECK(from_file->log_level == LogLevel::kDebug);
  CHECK(from_file->dev_mode);
  CHECK(from_file->EffectiveStorageUri() == "sqlite:///var/lib/codeyard/codeyard.db");

  in.env = {{"CODEYARD_SERVER_LISTEN", "127.0.0.1:9001"},
            {"HOME", "/root"},
            {"CODEYARD_STOARGE_URI", "typo"}};
  in.flags = {{"server.listen", "[::1]:9002"}};
  auto layered = LoadConfig(in);
  REQUIRE(layered);
  CHECK(layered->listen_host == "::1");
  CHECK(layered->listen_port == 9002);
  REQUIRE(layered->warnings.size() == 1);
  CHECK_THAT(layered->warnings[0], Catch::Contains("CODEYARD_STOARGE_URI"));
}

TEST_CASE("a bad value names the key, its source and why", "[config]") {
  ConfigInputs in;
  in.env = {{"CODEYARD_SERVER_LISTEN", "localhost"}};
  auto r = LoadConfig(in);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == Error::Code::kInvalidArgument);
  CHECK_THAT(r.error().message(), Catch::Contains("server.listen") &&
                                      Catch::Contains("env CODEYARD_SERVER_LISTEN") &&
                                      Catch::Contains("host:port"));

  ConfigInputs port;
  port.flags = {{"server.listen", "127.0.0.1:70000"}};
  CHECK_THAT(LoadConfig(port).error().message(), Catch::Contains("1 to 65535"));

  ConfigInputs unknown;
  unknown.flags = {{"storage.url", "sqlite::memory:"}};
  CHECK_THAT(LoadConfig(unknown).error().message(),
             Catch::Contains("unknown key \"storage.url\"") &&
                 Catch::Contains("did you mean \"storage.uri\""));

  ConfigInputs body;
  body.flags = {{"server.max_body_bytes", "lots"}};
  CHECK_THAT(LoadConfig(body).error().message(),
             Catch::Contains("server.max_body_bytes") && Catch::Contains("integer"));

  TempFile broken("{\"data_dir\": ");
  ConfigInputs bad_file;
  bad_file.file = broken.path.string();
  CHECK_THAT(LoadConfig(bad_file).error().message(), Catch::Contains("not valid JSON"));

  ConfigInputs missing;
  missing.file = "/nonexistent/codeyard.json";
  CHECK_THAT(LoadConfig(missing).error().message(), Catch::Contains("cannot read"));

  CHECK(SplitAssignment("a=b=c")->second == "b=c");
  CHECK_FALSE(SplitAssignment("novalue"));
}

TEST_CASE("server.cors_origins is a list of exact origins", "[config]") {
  auto defaults = LoadConfig({});
  REQUIRE(defaults);
  CHECK(defaults->cors_origins.empty());

  ConfigInputs in;
  in.flags = {{"server.cors_origins",
               " https://IDE.example.com, http://localhost:5173,,http://[::1]:8080 ,"
               "https://ide.example.com"}};
  auto listed = LoadConfig(in);
  REQUIRE(listed);
  CHECK(listed->cors_origins == std::vector<std::string>{"https://ide.example.com",
                                                         "http://localhost:5173",
                                                         "http://[::1]:8080"});

  TempFile file(R"({"server": {"cors_origins": ["https://a.example", "http://b.example:81"]}})");
  ConfigInputs from_file;
  from_file.file = file.path.string();
  auto array = LoadConfig(from_file);
  REQUIRE(array);
  CHECK(array->cors_origins ==
        std::vector<std::string>{"https://a.example", "http://b.example:81"});

  for (const char* bad : {"*", "ide.example.com", "ftp://x.example", "https://x.example/",
                          "https://x.example/app", "https://user@x.example", "https://x.example:",
                          "https://x.example:99999", "https://", "http://[::1"}) {
    ConfigInputs refused;
    refused.flags = {{"server.cors_origins", bad}};
    auto r = LoadConfig(refused);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("server.cors_origins"));
  }
}

TEST_CASE("server timeouts and HSTS take bounded integers", "[config]") {
  auto defaults = LoadConfig({});
  REQUIRE(defaults);
  CHECK(defaults->http_idle_timeout_s == 30);
  CHECK(defaults->request_timeout_s == 60);
  CHECK(defaults->hsts_max_age_s == 0);
  CHECK(defaults->drain_timeout_s == 10);
  CHECK(defaults->shutdown_sync_timeout_s == 20);

  ConfigInputs in;
  in.env = {{"CODEYARD_SERVER_IDLE_TIMEOUT_S", "2"},
            {"CODEYARD_SERVER_HSTS_MAX_AGE_S", "31536000"}};
  in.flags = {{"server.request_timeout_s", "3"},
              {"server.drain_timeout_s", "0"},
              {"server.shutdown_sync_timeout_s", "5"}};
  auto set = LoadConfig(in);
  REQUIRE(set);
  CHECK(set->http_idle_timeout_s == 2);
  CHECK(set->request_timeout_s == 3);
  CHECK(set->hsts_max_age_s == 31536000);
  CHECK(set->drain_timeout_s == 0);
  CHECK(set->shutdown_sync_timeout_s == 5);

  ConfigInputs zero;
  zero.flags = {{"server.idle_timeout_s", "0"}};
  CHECK_THAT(LoadConfig(zero).error().message(),
             Catch::Contains("server.idle_timeout_s") && Catch::Contains("1 to 3600"));
}

TEST_CASE("workspace.pod_orphan_timeout_s reaches the workspace pods' spec", "[config]") {
  auto defaults = LoadConfig({});
  REQUIRE(defaults);
  CHECK(defaults->pod_orphan_timeout_s == 600);
  CHECK(WorkspaceOptionsFrom(*defaults).pod_orphan_timeout == std::chrono::minutes(10));
  ConfigInputs in;
  in.flags = {{"workspace.pod_orphan_timeout_s", "0"}};
  auto never = LoadConfig(in);
  REQUIRE(never);
  CHECK(WorkspaceOptionsFrom(*never).pod_orphan_timeout == std::chrono::milliseconds(0));
  in.flags = {{"workspace.pod_orphan_timeout_s", "-1"}};
  CHECK_THAT(LoadConfig(in).error().message(),
             Catch::Contains("workspace.pod_orphan_timeout_s") && Catch::Contains("0 to 604800"));
}

TEST_CASE("server.inline_reads is a boolean, on by default", "[config]") {
  auto defaults = LoadConfig({});
  REQUIRE(defaults);
  CHECK(defaults->inline_reads);

  ConfigInputs off;
  off.env = {{"CODEYARD_SERVER_INLINE_READS", "false"}};
  auto set = LoadConfig(off);
  REQUIRE(set);
  CHECK_FALSE(set->inline_reads);

  ConfigInputs bad;
  bad.flags = {{"server.inline_reads", "sometimes"}};
  CHECK_THAT(LoadConfig(bad).error().message(), Catch::Contains("server.inline_reads"));
}

TEST_CASE("reviews.auto_assign is a boolean, off by default", "[config]") {
  auto defaults = LoadConfig({});
  REQUIRE(defaults);
  CHECK_FALSE(ReviewsOptionsFrom(*defaults).auto_assign);
  ConfigInputs on;
  on.env = {{"CODEYARD_REVIEWS_AUTO_ASSIGN", "true"}};
  auto set = LoadConfig(on);
  REQUIRE(set);
  CHECK(ReviewsOptionsFrom(*set).auto_assign);
  ConfigInputs bad;
  bad.flags = {{"reviews.auto_assign", "maybe"}};
  CHECK_THAT(LoadConfig(bad).error().message(), Catch::Contains("reviews.auto_assign"));
}

}  // namespace
}  // namespace codeyard
