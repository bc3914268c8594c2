#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <thread>
#include <vector>

#include "codeyard/log.hpp"

namespace codeyard {
namespace {

TEST_CASE("log records are one JSON object per line with ts, level, msg and fields", "[log]") {
  std::vector<std::string> lines;
  Logger log(LogLevel::kInfo, [&](std::string_view l) { lines.emplace_back(l); });
  log.Debug("dropped");
  log.Info("started", {{"port", 8080}, {"tls", false}, {"ratio", 0.5}, {"who", "a\"b\n\x01"}});
  log.Error("bad bytes", {{"raw", std::string("\xff\xfe ok", 5)}});
  REQUIRE(lines.size() == 2);
  const auto rec = boost::json::parse(lines[0]).as_object();
  CHECK(rec.at("level").as_string() == "info");
  CHECK(rec.at("msg").as_string() == "started");
  CHECK(rec.at("port").as_int64() == 8080);
  CHECK(rec.at("tls").as_bool() == false);
  CHECK(rec.at("ratio").as_double() == 0.5);
  CHECK(rec.at("who").as_string() == "a\"b\n\x01");
  const std::string ts(rec.at("ts").as_string());
  CHECK(ts.size() == 24);
  CHECK(ts.back() == 'Z');
  // Invalid UTF-8 is replaced, so the line is still JSON.
  const auto bad = boost::json::parse(lines[1]).as_object();
  CHECK(bad.at("raw").as_string() == "\xef\xbf\xbd\xef\xbf\xbd ok");
}

TEST_CASE("the level filter and parser", "[log]") {
  int count = 0;
  Logger log(LogLevel::kWarn, [&](std::string_view) { ++count; });
  log.Info("no");
  log.Warn("yes");
  log.SetLevel(LogLevel::kOff);
  log.Error("no");
  CHECK(count == 1);
  CHECK(*ParseLogLevel("debug") == LogLevel::kDebug);
  CHECK_FALSE(ParseLogLevel("loud"));
}

TEST_CASE("records from many threads never interleave", "[log]") {
  std::vector<std::string> lines;
  Logger log(LogLevel::kInfo, [&](std::string_view l) { lines.emplace_back(l); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 500; ++i) log.Info("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(lines.size() == 2000);
  for (const auto& l : lines) CHECK_NOTHROW(boost::json::parse(l));
}

TEST_CASE("deferred records wait for a flush and keep their order", "[log]") {
  std::vector<std::string> lines;
  Logger log(LogLevel::kInfo, [&](std::string_view l) { lines.emplace_back(l); });
  log.LogDeferred(LogLevel::kDebug, "dropped");
  log.LogDeferred(LogLevel::kInfo, "a", {{"n", 1}});
  log.LogDeferred(LogLevel::kInfo, "b", {{"n", 2}});
  CHECK(lines.empty());  // waiting for Flush
  log.Flush();
  REQUIRE(lines.size() == 2);  // one line per record, even from one write
  CHECK(boost::json::parse(lines[0]).at("msg").as_string() == "a");
  CHECK(boost::json::parse(lines[1]).at("msg").as_string() == "b");

  // A record logged without waiting (from any thread) writes the waiting ones first.
  log.LogDeferred(LogLevel::kInfo, "c");
  std::thread([&log] { log.Warn("d"); }).join();
  REQUIRE(lines.size() == 4);
  CHECK(boost::json::parse(lines[2]).at("msg").as_string() == "c");
  CHECK(boost::json::parse(lines[3]).at("msg").as_string() == "d");
  log.Flush();  // nothing waits
  CHECK(lines.size() == 4);
}

TEST_CASE("deferred records are written past 64 KiB and when the logger goes", "[log]") {
  std::vector<std::string> lines;
  {
    Logger log(LogLevel::kInfo, [&](std::string_view l) { lines.emplace_back(l); });
    const std::string big(1000, 'x');
    for (int i = 0; i < 100; ++i) log.LogDeferred(LogLevel::kInfo, "big", {{"pad", big}});
    CHECK(lines.size() >= 60);  // 64 KiB of ~1 KiB records went out unasked
    CHECK(lines.size() < 100);
  }
  CHECK(lines.size() == 100);  // the rest when the logger was destroyed
}

TEST_CASE("a double field is written as printf's %.6g", "[log]") {
  std::vector<std::string> lines;
  Logger log(LogLevel::kInfo, [&](std::string_view l) { lines.emplace_back(l); });
  log.Info("t", {{"a", 0.125}, {"b", 1234.5678}, {"c", 1e-7}, {"d", 3.0}});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("a":0.125,"b":1234.57,"c":1e-07,"d":3})") != std::string::npos);
}

}  // namespace
}  // namespace codeyard
