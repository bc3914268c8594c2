// Verdict names, the submitter's view and the JSON of a GradeReport (codeyard/grading.hpp).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <limits>

#include "codeyard/grading.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

constexpr TestVerdict kAllVerdicts[] = {
    TestVerdict::kAccepted,
    TestVerdict::kWrongAnswer,
    TestVerdict::kTimeLimitExceeded,
    TestVerdict::kMemoryLimitExceeded,
    TestVerdict::kOutputLimitExceeded,
    TestVerdict::kRuntimeError,
    TestVerdict::kCompileError,
    TestVerdict::kInternalError,
};

boost::json::value OptionalInt(const std::optional<int>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

Error Bad(const std::string& what) {
  return Error(Error::Code::kInvalidArgument, "grade report JSON: " + what);
}

// Field readers: each names the field it refuses.
struct Reader {
  using Value = boost::json::value;
  const boost::json::object& object;

  static Error NotA(std::string_view key, std::string_view what) {
    return Bad("'" + std::string(key) + "' is not " + std::string(what));
  }
  // The field `key`, if `is` holds for it (else "'key' is not <what>").
  Result<const Value*> Of(std::string_view key, bool (Value::*is)() const noexcept,
                          std::string_view what) const {
    const auto* v = object.if_contains(key);
    if (!v) return std::unexpected(Bad("missing field '" + std::string(key) + "'"));
    if (is != nullptr && !(v->*is)()) return std::unexpected(NotA(key, what));
    return v;
  }

  Result<std::string> String(std::string_view key) const {
    CY_TRY(const auto* v, Of(key, &Value::is_string, "a string"));
    return std::string(v->as_string());
  }
  Result<double> Number(std::string_view key) const {
    CY_TRY(const auto* v, Of(key, &Value::is_number, "a number"));
    return v->to_number<double>();
  }
  Result<bool> Bool(std::string_view key) const {
    CY_TRY(const auto* v, Of(key, &Value::is_bool, "a boolean"));
    return v->as_bool();
  }
  Result<const boost::json::array*> Array(std::string_view key) const {
    CY_TRY(const auto* v, Of(key, &Value::is_array, "an array"));
    return &v->as_array();
  }
  Result<int64_t> Integer(std::string_view key) const {
    CY_TRY(const auto* v, Of(key, nullptr, ""));
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= uint64_t(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(v->as_uint64());
    }
    return std::unexpected(NotA(key, "an integer"));
  }
  Result<std::optional<int>> OptionalInt(std::string_view key) const {
    CY_TRY(const auto* v, Of(key, nullptr, ""));
    if (v->is_null()) return std::optional<int>();
    if (!v->is_int64() || v->as_int64() < std::numeric_limits<int>::min() ||
        v->as_int64() > std::numeric_limits<int>::max()) {
      return std::unexpected(NotA(key, "an integer or null"));
    }
    return std::optional<int>(static_cast<int>(v->as_int64()));
  }
  Result<TestVerdict> Verdict(std::string_view key) const {
    CY_TRY(const std::string name, String(key));
    auto verdict = ParseTestVerdict(name);
    if (!verdict) return std::unexpected(Bad(verdict.error().message()));
    return *verdict;
  }
};

Result<TestReport> DecodeTest(const boost::json::value& value) {
  if (!value.is_object()) return std::unexpected(Bad("a test is not an object"));
  const Reader r{value.as_object()};
  TestReport t;
  CY_TRY(t.name, r.String("name"));
  CY_TRY(t.group, r.String("group"));
  CY_TRY(t.verdict, r.Verdict("verdict"));
  CY_TRY(t.time_ms, r.Integer("time_ms"));
  CY_TRY(t.wall_ms, r.Integer("wall_ms"));
  CY_TRY(const int64_t memory, r.Integer("memory_kb"));
  if (memory < 0) return std::unexpected(Bad("'memory_kb' is negative"));
  t.memory_kb = static_cast<uint64_t>(memory);
  CY_TRY(t.score, r.Number("score"));
  CY_TRY(t.fraction, r.Number("fraction"));
  CY_TRY(t.is_public, r.Bool("public"));
  CY_TRY(t.exit_code, r.OptionalInt("exit_code"));
  CY_TRY(t.signal, r.OptionalInt("signal"));
  CY_TRY(t.output, r.String("output"));
  CY_TRY(t.feedback, r.String("feedback"));
  return t;
}

Result<GroupReport> DecodeGroup(const boost::json::value& value) {
  if (!value.is_object()) return std::unexpected(Bad("a group is not an object"));
  const Reader r{value.as_object()};
  GroupReport g;
  CY_TRY(g.name, r.String("name"));
  CY_TRY(g.score, r.Number("score"));
  CY_TRY(g.max_score, r.Number("max_score"));
  return g;
}

}  // namespace

std::string_view TestVerdictName(TestVerdict verdict) noexcept {
  switch (verdict) {
    case TestVerdict::kAccepted:
      return "accepted";
    case TestVerdict::kWrongAnswer:
      return "wrong_answer";
    case TestVerdict::kTimeLimitExceeded:
      return "time_limit_exceeded";
    case TestVerdict::kMemoryLimitExceeded:
      return "memory_limit_exceeded";
    case TestVerdict::kOutputLimitExceeded:
      return "output_limit_exceeded";
    case TestVerdict::kRuntimeError:
      return "runtime_error";
    case TestVerdict::kCompileError:
      return "compile_error";
    case TestVerdict::kInternalError:
      return "internal_error";
  }
  return "internal_error";
}

Result<TestVerdict> ParseTestVerdict(std::string_view name) {
  for (const TestVerdict v : kAllVerdicts) {
    if (TestVerdictName(v) == name) return v;
  }
  return Fail(Error::Code::kInvalidArgument, "unknown verdict \"" + std::string(name) + "\"");
}

GradeReport SubmitterView(const GradeReport& report) {
  GradeReport view = report;
  for (auto& test : view.tests) {
    if (test.is_public) continue;
    test.exit_code.reset();
    test.signal.reset();
    test.output.clear();
    test.feedback.clear();
  }
  return view;
}

std::string GradeReportToJson(const GradeReport& report) {
  boost::json::array tests;
  for (const auto& t : report.tests) {
    tests.emplace_back(boost::json::object{
        {"name", t.name},
        {"group", t.group},
        {"verdict", TestVerdictName(t.verdict)},
        {"time_ms", t.time_ms},
        {"wall_ms", t.wall_ms},
        {"memory_kb", t.memory_kb},
        {"score", t.score},
        {"fraction", t.fraction},
        {"public", t.is_public},
        {"exit_code", OptionalInt(t.exit_code)},
        {"signal", OptionalInt(t.signal)},
        {"output", t.output},
        {"feedback", t.feedback},
    });
  }
  boost::json::array groups;
  for (const auto& g : report.groups) {
    groups.emplace_back(
        boost::json::object{{"name", g.name}, {"score", g.score}, {"max_score", g.max_score}});
  }
  return boost::json::serialize(boost::json::object{
      {"problem", report.problem},
      {"verdict", TestVerdictName(report.verdict)},
      {"score", report.score},
      {"max_score", report.max_score},
      {"compile_output", report.compile_output},
      {"compile_ms", report.compile_ms},
      {"message", report.message},
      {"tests", std::move(tests)},
      {"groups", std::move(groups)},
  });
}

Result<GradeReport> GradeReportFromJson(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(json, ec);
  if (ec) return Fail(Bad(ec.message()));
  if (!value.is_object()) return Fail(Bad("not an object"));
  const Reader r{value.as_object()};
  GradeReport report;
  CY_TRY(report.problem, r.String("problem"));
  CY_TRY(report.verdict, r.Verdict("verdict"));
  CY_TRY(report.score, r.Number("score"));
  CY_TRY(report.max_score, r.Number("max_score"));
  CY_TRY(report.compile_output, r.String("compile_output"));
  CY_TRY(report.compile_ms, r.Integer("compile_ms"));
  CY_TRY(report.message, r.String("message"));
  CY_TRY(const auto* tests, r.Array("tests"));
  for (const auto& t : *tests) {
    CY_TRY(auto test, DecodeTest(t));
    report.tests.push_back(std::move(test));
  }
  CY_TRY(const auto* groups, r.Array("groups"));
  for (const auto& g : *groups) {
    CY_TRY(auto group, DecodeGroup(g));
    report.groups.push_back(std::move(group));
  }
  return report;
}

}  // namespace codeyard
