// The metrics registry of codeyard-server: escaping, the exposition format, histogram buckets,
// callback families, registration errors, and concurrent updates.
#include <catch2/catch.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "metrics.hpp"

using codeyard::server::Counter;
using codeyard::server::EscapeHelp;
using codeyard::server::EscapeLabelValue;
using codeyard::server::FormatValue;
using codeyard::server::Histogram;
using codeyard::server::Metrics;

TEST_CASE("metrics: label values escape backslash, quote and newline only", "[metrics]") {
  CHECK(EscapeLabelValue("plain /api/v1/{id}") == "plain /api/v1/{id}");
  CHECK(EscapeLabelValue("a\\b") == "a\\\\b");
  CHECK(EscapeLabelValue("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(EscapeLabelValue("two\nlines") == "two\\nlines");
  CHECK(EscapeLabelValue("tab\tand ünï") == "tab\tand ünï");
  CHECK(EscapeHelp("a \"quoted\" \\ help\n") == "a \"quoted\" \\\\ help\\n");
}

TEST_CASE("metrics: values format as Prometheus reads them", "[metrics]") {
  CHECK(FormatValue(0) == "0");
  CHECK(FormatValue(42) == "42");
  CHECK(FormatValue(0.005) == "0.005");
  CHECK(FormatValue(0.0005) == "0.0005");
  CHECK(FormatValue(1795335295.4151475) == "1795335295.4151475");
  CHECK(FormatValue(1e-9) == "1e-09");
  CHECK(FormatValue(-1.5) == "-1.5");
  CHECK(FormatValue(1e21) == "1e+21");
  CHECK(FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(FormatValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("metrics: counters and gauges render with HELP, TYPE and sorted series", "[metrics]") {
  Metrics m;
  auto& requests =
      m.AddCounter("t_requests_total", "Requests \\ seen.\nSecond line.", {"method", "route"});
  requests.With({"GET", "/b"}).Inc();
  requests.With({"GET", "/a\"x\""}).Inc(2);
  requests.With({"GET", "/b"}).Inc(0.5);
  requests.With({"GET", "/b"}).Inc(-7);  // ignored: counters only go up
  auto& temp = m.AddGauge("t_temperature", "Degrees.");
  temp.With({}).Set(-3.25);
  CHECK(m.Render() ==
        "# HELP t_requests_total Requests \\\\ seen.\\nSecond line.\n"
        "# TYPE t_requests_total counter\n"
        "t_requests_total{method=\"GET\",route=\"/a\\\"x\\\"\"} 2\n"
        "t_requests_total{method=\"GET\",route=\"/b\"} 1.5\n"
        "# HELP t_temperature Degrees.\n"
        "# TYPE t_temperature gauge\n"
        "t_temperature -3.25\n");
  // The same label values find the same series, so a caller may keep the reference.
  CHECK(&requests.With({"GET", "/b"}) == &requests.With({"GET", "/b"}));
}

TEST_CASE("metrics: histogram buckets are cumulative and end in +Inf == count", "[metrics]") {
  Metrics m;
  const std::vector<double> bounds = {0.1, 1, 10};
  auto& h = m.AddHistogram("t_latency_seconds", "Latency.", {"route"}, bounds);
  for (const double v : {0.05, 0.1, 0.5, 2.0, 20.0, 30.0}) h.With({"/x"}).Observe(v);
  CHECK(m.Render() ==
        "# HELP t_latency_seconds Latency.\n"
        "# TYPE t_latency_seconds histogram\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"10\"} 4\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 6\n"
        "t_latency_seconds_sum{route=\"/x\"} 52.65\n"
        "t_latency_seconds_count{route=\"/x\"} 6\n");
  Histogram alone(bounds);
  alone.Observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  CHECK(alone.Read().count == 0);
}

TEST_CASE("metrics: callback gauges and counters are read at render time", "[metrics]") {
  Metrics m;
  double live = 1;
  m.AddGauge("t_live", "Live things.", [&live] { return live; });
  m.AddCounter("t_bytes_total", "Bytes.", [] { return 7.0; }, {{"direction", "to_pod"}});
  m.AddCounter("t_bytes_total", "Bytes.", [] { return 5.0; }, {{"direction", "from_pod"}});
  live = 4;
  CHECK(m.Render() ==
        "# HELP t_live Live things.\n"
        "# TYPE t_live gauge\n"
        "t_live 4\n"
        "# HELP t_bytes_total Bytes.\n"
        "# TYPE t_bytes_total counter\n"
        "t_bytes_total{direction=\"from_pod\"} 5\n"
        "t_bytes_total{direction=\"to_pod\"} 7\n");
}

TEST_CASE("metrics: bad names and duplicates are refused", "[metrics]") {
  Metrics m;
  (void)m.AddCounter("t_ok_total", "Fine.", {"a"});
  CHECK_THROWS_AS(m.AddCounter("t_ok_total", "Again."), std::invalid_argument);
  CHECK_THROWS_AS(m.AddGauge("t_ok_total", "Other type.", [] { return 1.0; }),
                  std::invalid_argument);
  CHECK_THROWS_AS(m.AddCounter("1starts_with_digit", "x"), std::invalid_argument);
  CHECK_THROWS_AS(m.AddCounter("has-dash", "x"), std::invalid_argument);
  CHECK_THROWS_AS(m.AddCounter("t_bad_label", "x", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(m.AddCounter("t_dup_label", "x", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(m.AddHistogram("t_le", "x", {"le"}), std::invalid_argument);
  const std::vector<double> unsorted = {1, 0.5};
  CHECK_THROWS_AS(m.AddHistogram("t_unsorted", "x", {}, unsorted), std::invalid_argument);
  m.AddGauge("t_cb", "x", [] { return 1.0; }, {{"k", "v"}});
  CHECK_THROWS_AS(m.AddGauge("t_cb", "x", [] { return 2.0; }, {{"k", "v"}}), std::invalid_argument);
  auto& family = m.AddCounter("t_two_labels_total", "x", {"a", "b"});
  CHECK_THROWS_AS(family.With({"only one"}), std::invalid_argument);
}

TEST_CASE("metrics: concurrent updates and new series lose nothing", "[metrics]") {
  Metrics m;
  auto& c = m.AddCounter("t_hits_total", "Hits.", {"worker"});
  auto& h = m.AddHistogram("t_seconds", "Time.", {"worker"});
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string shared = "all";
      const std::string own = "w" + std::to_string(t);
      for (int i = 0; i < kEach; ++i) {
        c.With({shared}).Inc();
        c.With({own}).Inc();
        h.With({shared}).Observe(0.001);
        if (i % 1000 == 0) (void)m.Render();  // scrapes while updating
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.With({"all"}).Value() == kThreads * kEach);
  for (int t = 0; t < kThreads; ++t) CHECK(c.With({"w" + std::to_string(t)}).Value() == kEach);
  const Histogram::Snapshot s = h.With({"all"}).Read();
  CHECK(s.count == static_cast<uint64_t>(kThreads * kEach));
  CHECK(s.cumulative.back() == s.count);
}
