#include "metrics.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <type_traits>

namespace codeyard::server {
namespace {

enum Kind { kCounterKind = 0, kGaugeKind = 1, kHistogramKind = 2 };

constexpr std::array<std::string_view, 3> kTypeNames = {"counter", "gauge", "histogram"};

constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool ValidMetricName(std::string_view name) {
  if (name.empty() || IsDigit(name.front())) return false;
  for (const char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, and "__" is reserved for Prometheus itself.
bool ValidLabelName(std::string_view name) {
  if (name.empty() || IsDigit(name.front()) || name.starts_with("__")) return false;
  for (const char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

[[noreturn]] void Invalid(const std::string& message) {
  throw std::invalid_argument("metrics: " + message);
}

void CheckLabelNames(std::string_view metric, const std::vector<std::string>& names,
                     bool histogram) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!ValidLabelName(names[i]) || (histogram && names[i] == "le")) {
      Invalid("invalid label name '" + names[i] + "' for " + std::string(metric));
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (names[k] == names[i]) {
        Invalid("duplicate label name '" + names[i] + "' for " + std::string(metric));
      }
    }
  }
}

// `{a="x",b="y"}` (or "" without labels); `extra` is appended last (a histogram's le).
std::string LabelText(const std::vector<std::string>& names, std::span<const std::string> values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

void Sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  out += labels;
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

}  // namespace

// ---- values --------------------------------------------------------------------------------

void Counter::Inc(double by) noexcept {
  if (by > 0) value_.fetch_add(by, std::memory_order_relaxed);
}

void Gauge::Add(double by) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::Observe(double value) noexcept {
  if (std::isnan(value)) return;
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::span<const double> DefaultLatencyBuckets() noexcept { return kLatencyBuckets; }

template <typename T>
T& Family<T>::With(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    Invalid("expected " + std::to_string(label_names_.size()) + " label values, got " +
            std::to_string(values.size()));
  }
  {
    const std::shared_lock lock(mu_);
    const auto it = series_.find(values);
    if (it != series_.end()) return *it->second;
  }
  const std::unique_lock lock(mu_);
  const auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  std::vector<std::string> key(values.begin(), values.end());
  std::unique_ptr<T> fresh;
  if constexpr (std::is_same_v<T, Histogram>) {
    fresh = std::make_unique<Histogram>(bounds_);
  } else {
    fresh = std::make_unique<T>();
  }
  T& ref = *fresh;
  series_.emplace(std::move(key), std::move(fresh));
  return ref;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- the registry --------------------------------------------------------------------------

struct Metrics::Entry {
  struct Callback {
    std::vector<std::string> values;
    std::function<double()> value;
  };

  std::string name;
  std::string help;
  int kind = kCounterKind;
  std::vector<std::string> label_names;
  bool callback = false;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::vector<Callback> callbacks;     // sorted by values
  std::function<SeriesList()> series;  // usage20: AddCounterSeries / AddGaugeSeries
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Entry& Metrics::Register(std::string_view name, std::string_view help, int kind,
                                  const std::vector<std::string>& label_names, bool callback) {
  if (!ValidMetricName(name)) Invalid("invalid metric name '" + std::string(name) + "'");
  CheckLabelNames(name, label_names, kind == kHistogramKind);
  for (const auto& e : entries_) {
    if (e->name != name) continue;
    // Only callback series may share a family, and only when everything else agrees.
    if (callback && e->callback && e->kind == kind && e->help == help &&
        e->label_names == label_names) {
      return *e;
    }
    Invalid("metric '" + std::string(name) + "' is already registered");
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->kind = kind;
  entry->label_names = label_names;
  entry->callback = callback;
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

Family<Counter>& Metrics::AddCounter(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names) {
  const std::unique_lock lock(mu_);
  Entry& e = Register(name, help, kCounterKind, label_names, false);
  e.counters.reset(new Family<Counter>(std::move(label_names), {}));
  return *e.counters;
}

Family<Gauge>& Metrics::AddGauge(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names) {
  const std::unique_lock lock(mu_);
  Entry& e = Register(name, help, kGaugeKind, label_names, false);
  e.gauges.reset(new Family<Gauge>(std::move(label_names), {}));
  return *e.gauges;
}

Family<Histogram>& Metrics::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::span<const double> bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Invalid("histogram " + std::string(name) + ": bounds must be finite and increasing");
    }
  }
  const std::unique_lock lock(mu_);
  Entry& e = Register(name, help, kHistogramKind, label_names, false);
  e.histograms.reset(new Family<Histogram>(std::move(label_names),
                                           std::vector<double>(bounds.begin(), bounds.end())));
  return *e.histograms;
}

void Metrics::AddCallback(std::string_view name, std::string_view help, int kind,
                          std::function<double()> value, const Labels& labels) {
  if (!value) Invalid("metric '" + std::string(name) + "' needs a callback");
  std::vector<std::string> names;
  std::vector<std::string> values;
  for (const auto& [k, v] : labels) {
    names.push_back(k);
    values.push_back(v);
  }
  const std::unique_lock lock(mu_);
  Entry& e = Register(name, help, kind, names, true);
  for (const auto& c : e.callbacks) {
    if (c.values == values) Invalid("metric '" + std::string(name) + "': series already exists");
  }
  const auto at = std::lower_bound(
      e.callbacks.begin(), e.callbacks.end(), values,
      [](const Entry::Callback& c, const std::vector<std::string>& v) { return c.values < v; });
  e.callbacks.insert(at, Entry::Callback{std::move(values), std::move(value)});
}

void Metrics::AddGauge(std::string_view name, std::string_view help, std::function<double()> value,
                       const Labels& labels) {
  AddCallback(name, help, kGaugeKind, std::move(value), labels);
}

void Metrics::AddCounter(std::string_view name, std::string_view help,
                         std::function<double()> value, const Labels& labels) {
  AddCallback(name, help, kCounterKind, std::move(value), labels);
}

void Metrics::AddCounterSeries(std::string_view name, std::string_view help,
                               std::vector<std::string> label_names,
                               std::function<SeriesList()> series) {
  if (!series) Invalid("metric '" + std::string(name) + "' needs a callback");
  const std::unique_lock lock(mu_);
  Register(name, help, kCounterKind, label_names, true).series = std::move(series);
}

void Metrics::AddGaugeSeries(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names,
                             std::function<SeriesList()> series) {
  if (!series) Invalid("metric '" + std::string(name) + "' needs a callback");
  const std::unique_lock lock(mu_);
  Register(name, help, kGaugeKind, label_names, true).series = std::move(series);
}

std::string Metrics::Render() const {
  std::string out;
  const std::shared_lock lock(mu_);
  for (const auto& e : entries_) {
    out += "# HELP ";
    out += e->name;
    out += ' ';
    out += EscapeHelp(e->help);
    out += "\n# TYPE ";
    out += e->name;
    out += ' ';
    out += kTypeNames.at(static_cast<std::size_t>(e->kind));
    out += '\n';
    if (e->series) {
      for (const auto& [values, value] : e->series())
        Sample(out, e->name, LabelText(e->label_names, values), value);
    } else if (e->callback) {
      for (const auto& c : e->callbacks)
        Sample(out, e->name, LabelText(e->label_names, c.values), c.value());
    } else if (e->counters) {
      const std::shared_lock family_lock(e->counters->mu_);
      for (const auto& [values, counter] : e->counters->series_) {
        Sample(out, e->name, LabelText(e->label_names, values), counter->Value());
      }
    } else if (e->gauges) {
      const std::shared_lock family_lock(e->gauges->mu_);
      for (const auto& [values, gauge] : e->gauges->series_) {
        Sample(out, e->name, LabelText(e->label_names, values), gauge->Value());
      }
    } else if (e->histograms) {
      const std::shared_lock family_lock(e->histograms->mu_);
      const std::string bucket = e->name + "_bucket";
      for (const auto& [values, histogram] : e->histograms->series_) {
        const Histogram::Snapshot s = histogram->Read();
        for (std::size_t i = 0; i < s.bounds.size(); ++i) {
          Sample(out, bucket, LabelText(e->label_names, values, "le", FormatValue(s.bounds[i])),
                 static_cast<double>(s.cumulative[i]));
        }
        Sample(out, bucket, LabelText(e->label_names, values, "le", "+Inf"),
               static_cast<double>(s.count));
        const std::string labels = LabelText(e->label_names, values);
        Sample(out, e->name + "_sum", labels, s.sum);
        Sample(out, e->name + "_count", labels, static_cast<double>(s.count));
      }
    }
  }
  return out;
}

// ---- text ----------------------------------------------------------------------------------

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits; plain decimals where they stay short (bucket bounds such as
  // 0.0005 read as people and PromQL selectors write them), exponents beyond.
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
  std::array<char, 64> buf{};
  const auto [end, ec] =
      plain ? std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed)
            : std::to_chars(buf.data(), buf.data() + buf.size(), value);
  if (ec != std::errc()) return "NaN";
  return {buf.data(), end};
}

}  // namespace codeyard::server
