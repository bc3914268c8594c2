// A small Prometheus metrics registry for the server: counters, gauges and histograms, each a
// family of series told apart by label values, plus gauges and counters whose value a callback
// computes at scrape time (for numbers another object already keeps, such as the warm pool's
// hits). Render() writes the text exposition format 0.0.4 (`# HELP`, `# TYPE`, one sample per
// line, label values and help text escaped). Families render in registration order, series
// sorted by label values.
//
// The hot path is cheap: With() finds a series under a shared lock (an insert takes the
// exclusive lock once per new label set) and returns a reference that stays valid for the
// registry's lifetime, so a caller may keep it; updating it is a few atomic operations.
// Everything is thread-safe, registration included, so another component can add its metric
// after the server started, e.g.
//   services.metrics.AddGauge("codeyard_terminal_connections", "Open terminal WebSockets.",
//                             [&hub] { return static_cast<double>(hub.Connections()); });
// Registering a name twice, or an invalid metric or label name, is a programming error and
// throws std::invalid_argument. Callbacks run on the scraping thread while the registry's
// lock is held: they must be quick and must not register metrics.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace codeyard::server {

class Counter {
 public:
  // Adds `by`, which must be >= 0 (a negative amount is ignored: counters only go up).
  void Inc(double by = 1.0) noexcept;
  [[nodiscard]] double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void Add(double by) noexcept;
  [[nodiscard]] double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing and finite; +Inf is implied.
  explicit Histogram(std::span<const double> bounds);

  // Counts `value` in the first bucket whose bound is >= value. NaN is ignored.
  void Observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then one for +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // Built from per-bucket counts, so buckets are cumulative and count equals the +Inf bucket
  // even while observations are in flight (sum may lag by those in flight).
  [[nodiscard]] Snapshot Read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, then the +Inf overflow
  std::atomic<double> sum_{0.0};
};

// Default latency buckets in seconds (0.5 ms to 10 s).
[[nodiscard]] std::span<const double> DefaultLatencyBuckets() noexcept;

namespace detail {
// Orders label-value lists; transparent so a lookup by string_views allocates nothing.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};
}  // namespace detail

// One metric name with its help, label names and series. T is Counter, Gauge or Histogram.
template <typename T>
class Family {
 public:
  // The series with these label values (one per label name, in order), created on first
  // use. A wrong number of values throws std::invalid_argument.
  T& With(std::span<const std::string_view> values);
  T& With(std::initializer_list<std::string_view> values) {
    return With(std::span<const std::string_view>(values.begin(), values.size()));
  }

 private:
  friend class Metrics;
  Family(std::vector<std::string> label_names, std::vector<double> bounds)
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, detail::LabelValuesLess> series_;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  ~Metrics();

  Family<Counter>& AddCounter(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string_view name, std::string_view help,
                          std::vector<std::string> label_names = {});
  // `bounds` as for Histogram (default: DefaultLatencyBuckets()); "le" is not a label name.
  Family<Histogram>& AddHistogram(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names,
                                  std::span<const double> bounds = DefaultLatencyBuckets());

  // A gauge or counter computed by `value` at every scrape. Several calls with the same name,
  // help and label names but different label values add series to one family (e.g.
  // codeyard_sync_bytes_total{direction="to_pod"} and {direction="from_pod"}); anything else
  // reusing a name throws.
  void AddGauge(std::string_view name, std::string_view help, std::function<double()> value,
                const Labels& labels = {});
  void AddCounter(std::string_view name, std::string_view help, std::function<double()> value,
                  const Labels& labels = {});

  // usage20: a family whose series are all computed at every scrape by `series` (label values
  // and a value each), for label values known only then (codeyard_org_*{org}). The callback
  // bounds the series count itself.
  using SeriesList = std::vector<std::pair<std::vector<std::string>, double>>;
  void AddCounterSeries(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names, std::function<SeriesList()> series);
  void AddGaugeSeries(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names, std::function<SeriesList()> series);

  // The text exposition format 0.0.4.
  [[nodiscard]] std::string Render() const;

 private:
  struct Entry;
  Entry& Register(std::string_view name, std::string_view help, int kind,
                  const std::vector<std::string>& label_names, bool callback);
  void AddCallback(std::string_view name, std::string_view help, int kind,
                   std::function<double()> value, const Labels& labels);

  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// The Content-Type of Render()'s output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Prometheus escaping: label values escape '\\', '"' and newline; help text '\\' and newline.
[[nodiscard]] std::string EscapeLabelValue(std::string_view value);
[[nodiscard]] std::string EscapeHelp(std::string_view help);
// A sample value as Prometheus reads it: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
[[nodiscard]] std::string FormatValue(double value);

}  // namespace codeyard::server
