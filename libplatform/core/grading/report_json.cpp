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

// The one field reader: Read("name", t.name, "score", t.score, ...) reads each field into its
// destination by the destination's type, and names the first field it refuses.
class Reader {
 public:
  using Value = boost::json::value;

  // The reader of `value`, which must be an object (`what` names it in the refusal).
  static Result<Reader> Of(const Value& value, std::string_view what) {
    if (!value.is_object()) return std::unexpected(Bad(std::string(what) + " is not an object"));
    return Reader(value.as_object());
  }

  template <class T, class... Rest>
  Result<void> Read(std::string_view key, T& out, Rest&&... rest) const {
    CY_TRY(const Value* v, Field(key));
    CY_CHECK(Into(key, *v, out));
    if constexpr (sizeof...(rest) > 0) {
      return Read(std::forward<Rest>(rest)...);
    } else {
      return {};
    }
  }

  Result<const boost::json::array*> Array(std::string_view key) const {
    CY_TRY(const Value* v, Field(key));
    if (!v->is_array()) return std::unexpected(NotA(key, "an array"));
    return &v->as_array();
  }

 private:
  explicit Reader(const boost::json::object& object) : object_(&object) {}

  static Error NotA(std::string_view key, std::string_view what) {
    return Bad("'" + std::string(key) + "' is not " + std::string(what));
  }
  Result<const Value*> Field(std::string_view key) const {
    const auto* v = object_->if_contains(key);
    if (!v) return std::unexpected(Bad("missing field '" + std::string(key) + "'"));
    return v;
  }

  static Result<void> Into(std::string_view key, const Value& v, std::string& out) {
    if (!v.is_string()) return std::unexpected(NotA(key, "a string"));
    out = std::string(v.as_string());
    return {};
  }
  static Result<void> Into(std::string_view key, const Value& v, double& out) {
    if (!v.is_number()) return std::unexpected(NotA(key, "a number"));
    out = v.to_number<double>();
    return {};
  }
  static Result<void> Into(std::string_view key, const Value& v, bool& out) {
    if (!v.is_bool()) return std::unexpected(NotA(key, "a boolean"));
    out = v.as_bool();
    return {};
  }
  static Result<void> Into(std::string_view key, const Value& v, int64_t& out) {
    if (v.is_int64()) {
      out = v.as_int64();
    } else if (v.is_uint64() && v.as_uint64() <= uint64_t(std::numeric_limits<int64_t>::max())) {
      out = static_cast<int64_t>(v.as_uint64());
    } else {
      return std::unexpected(NotA(key, "an integer"));
    }
    return {};
  }
  static Result<void> Into(std::string_view key, const Value& v, uint64_t& out) {
    int64_t n = 0;
    CY_CHECK(Into(key, v, n));
    if (n < 0) return std::unexpected(Bad("'" + std::string(key) + "' is negative"));
    out = static_cast<uint64_t>(n);
    return {};
  }
  static Result<void> Into(std::string_view key, const Value& v, std::optional<int>& out) {
    if (v.is_null()) {
      out.reset();
    } else if (v.is_int64() && v.as_int64() >= std::numeric_limits<int>::min() &&
               v.as_int64() <= std::numeric_limits<int>::max()) {
      out = static_cast<int>(v.as_int64());
    } else {
      return std::unexpected(NotA(key, "an integer or null"));
    }
    return {};
  }
  static Result<void> Into(std::string_view key, const Value& v, TestVerdict& out) {
    std::string name;
    CY_CHECK(Into(key, v, name));
    auto verdict = ParseTestVerdict(name);
    if (!verdict) return std::unexpected(Bad(verdict.error().message()));
    out = *verdict;
    return {};
  }

  const boost::json::object* object_;
};

Result<TestReport> DecodeTest(const boost::json::value& value) {
  CY_TRY(const Reader r, Reader::Of(value, "a test"));
  TestReport t;
  CY_CHECK(r.Read("name", t.name, "group", t.group, "verdict", t.verdict, "time_ms", t.time_ms,
                  "wall_ms", t.wall_ms, "memory_kb", t.memory_kb, "score", t.score, "fraction",
                  t.fraction, "public", t.is_public, "exit_code", t.exit_code, "signal", t.signal,
                  "output", t.output, "feedback", t.feedback));
  return t;
}

Result<GroupReport> DecodeGroup(const boost::json::value& value) {
  CY_TRY(const Reader r, Reader::Of(value, "a group"));
  GroupReport g;
  CY_CHECK(r.Read("name", g.name, "score", g.score, "max_score", g.max_score));
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
  CY_TRY(const Reader r, Reader::Of(value, "the report"));
  GradeReport report;
  CY_CHECK(r.Read("problem", report.problem, "verdict", report.verdict, "score", report.score,
                  "max_score", report.max_score, "compile_output", report.compile_output,
                  "compile_ms", report.compile_ms, "message", report.message));
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
