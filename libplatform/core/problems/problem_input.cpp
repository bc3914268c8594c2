// The admin API's problem JSON (ProblemFromJson, codeyard/problem_store.hpp): every field is
// checked for its type and range here, each fault named by its path ("tests[2].input"), then
// ValidateProblem checks the whole. Unknown fields are refused, so a misspelt one is not lost
// silently; the read-only fields GET /api/v1/problems/{id} adds are ignored, so its answer can
// be sent back as it is.
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "codeyard/languages.hpp"
#include "codeyard/problem_store.hpp"
#include "core/try.hpp"

namespace codeyard {
namespace {

namespace json = boost::json;

Error BadField(const std::string& field, const std::string& what) {
  return {Error::Code::kInvalidArgument, "problem JSON: " + field + " " + what};
}

// Standard base64 (RFC 4648 section 4), padding required; nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return std::nullopt;  // "x==y"-style
    uint32_t n = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      int v = 0;
      if (k >= 4 - pad) {
        if (c != '=') return std::nullopt;
      } else {
        v = value(c);
        if (v < 0) return std::nullopt;
      }
      n = (n << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

// Reads the fields of one JSON object, refusing any it does not know.
class Fields {
 public:
  static Result<Fields> Of(const json::value& v, std::string path) {
    if (!v.is_object()) return Fail(BadField(path.empty() ? "body" : path, "must be an object"));
    return Fields(v.get_object(), std::move(path));
  }

  // Names the first field neither read nor in `ignored`.
  Result<void> NoOthers(std::initializer_list<std::string_view> ignored = {}) const {
    for (const auto& [key, value] : object_) {
      const std::string name(key);
      if (read_.contains(name)) continue;
      if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) continue;
      return Fail(BadField(Path(name), "is not a field of this object"));
    }
    return {};
  }

  std::string Path(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }

  const json::value* Find(std::string_view name) {
    read_.insert(std::string(name));
    const json::value* v = object_.if_contains(name);
    return v == nullptr || v->is_null() ? nullptr : v;
  }

  Result<std::string> String(std::string_view name, std::optional<std::string> fallback) {
    const json::value* v = Find(name);
    if (v == nullptr) {
      if (fallback) return *fallback;
      return Fail(BadField(Path(name), "is required"));
    }
    if (!v->is_string()) return Fail(BadField(Path(name), "must be a string"));
    return std::string(v->get_string());
  }

  Result<bool> Bool(std::string_view name, bool fallback) {
    const json::value* v = Find(name);
    if (v == nullptr) return fallback;
    if (!v->is_bool()) return Fail(BadField(Path(name), "must be true or false"));
    return v->get_bool();
  }

  Result<double> Number(std::string_view name, double fallback) {
    const json::value* v = Find(name);
    if (v == nullptr) return fallback;
    if (!v->is_number()) return Fail(BadField(Path(name), "must be a number"));
    const double d = v->to_number<double>();
    if (!std::isfinite(d)) return Fail(BadField(Path(name), "must be finite"));
    return d;
  }

  Result<uint64_t> Count(std::string_view name, uint64_t fallback) {
    const json::value* v = Find(name);
    if (v == nullptr) return fallback;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
    return Fail(BadField(Path(name), "must be a non-negative integer"));
  }

  Result<const json::array*> Array(std::string_view name, bool required) {
    const json::value* v = Find(name);
    if (v == nullptr) {
      if (required) return Fail(BadField(Path(name), "is required"));
      return static_cast<const json::array*>(nullptr);
    }
    if (!v->is_array()) return Fail(BadField(Path(name), "must be an array"));
    return &v->get_array();
  }

 private:
  Fields(const json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

  const json::object& object_;
  std::string path_;
  std::set<std::string> read_;
};

Result<void> CheckLanguage(const std::string& language, const std::string& field) {
  if (!ParseLanguage(language)) {
    std::string known;
    for (const LanguageInfo& info : Languages()) {
      known += (known.empty() ? "" : ", ") + std::string(LanguageName(info.language));
    }
    return Fail(BadField(field, "names unknown language \"" + language + "\"; known: " + known));
  }
  return {};
}

// A relative path without "." or ".." parts, as a pod's files and a statement's links take.
Result<void> CheckPath(const std::string& path, const std::string& field) {
  if (path.empty() || path.front() == '/' || path.back() == '/' ||
      path.find('\0') != std::string::npos) {
    return Fail(BadField(field, "must be a relative file path"));
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, slash - start);
    if (part.empty() || part == "." || part == "..") {
      return Fail(BadField(field, "must not have empty, \".\" or \"..\" parts"));
    }
    start = slash + 1;
  }
  return {};
}

Result<HelperProgram> ProgramFrom(const json::value& v, const std::string& path) {
  CY_TRY(Fields o, Fields::Of(v, path));
  HelperProgram program;
  CY_TRY(program.language, o.String("language", std::nullopt));
  CY_CHECK(CheckLanguage(program.language, o.Path("language")));
  CY_TRY(const json::array* files, o.Array("files", true));
  if (files->empty()) return Fail(BadField(o.Path("files"), "must hold the program's files"));
  for (std::size_t i = 0; i < files->size(); ++i) {
    CY_TRY(Fields f, Fields::Of((*files)[i], o.Path("files") + "[" + std::to_string(i) + "]"));
    FileData file;
    CY_TRY(file.path, f.String("path", std::nullopt));
    CY_CHECK(CheckPath(file.path, f.Path("path")));
    CY_TRY(file.content, f.String("content", std::nullopt));
    CY_CHECK(f.NoOthers());
    program.files.push_back(std::move(file));
  }
  CY_CHECK(o.NoOthers());
  return program;
}

Result<void> TagsFrom(Fields& body, Problem& p) {
  const json::value* v = body.Find("tags");
  if (v == nullptr) return {};
  CY_TRY(Fields tags, Fields::Of(*v, "tags"));
  if (const json::value* level = tags.Find("level")) {
    if (!level->is_int64() || level->get_int64() < 0 || level->get_int64() > 4) {
      return Fail(BadField("tags.level", "must be an integer from 0 to 4, or null"));
    }
    p.tags.level = static_cast<int>(level->get_int64());
  }
  CY_TRY(p.tags.age_group, tags.String("age_group", ""));
  CY_TRY(const json::array* topics, tags.Array("topics", false));
  if (topics != nullptr) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < topics->size(); ++i) {
      const std::string field = "tags.topics[" + std::to_string(i) + "]";
      if (!(*topics)[i].is_string() || (*topics)[i].get_string().empty()) {
        return Fail(BadField(field, "must be a non-empty string"));
      }
      std::string topic((*topics)[i].get_string());
      if (!seen.insert(topic).second) return Fail(BadField(field, "repeats \"" + topic + "\""));
      p.tags.topics.push_back(std::move(topic));
    }
  }
  return tags.NoOthers();
}

Result<void> LimitsFrom(Fields& body, Problem& p) {
  const json::value* v = body.Find("limits");
  if (v == nullptr) return {};
  CY_TRY(Fields limits, Fields::Of(*v, "limits"));
  CY_TRY(p.limits.time_limit_s, limits.Number("time_limit_s", p.limits.time_limit_s));
  if (!(p.limits.time_limit_s > 0) || p.limits.time_limit_s > 60) {
    return Fail(BadField("limits.time_limit_s", "must be in (0, 60] seconds"));
  }
  CY_TRY(p.limits.memory_bytes, limits.Count("memory_bytes", p.limits.memory_bytes));
  if (p.limits.memory_bytes < (uint64_t{8} << 20)) {
    return Fail(BadField("limits.memory_bytes", "must be at least 8 MiB (8388608)"));
  }
  CY_TRY(p.limits.output_bytes, limits.Count("output_bytes", p.limits.output_bytes));
  if (p.limits.output_bytes == 0) return Fail(BadField("limits.output_bytes", "must be > 0"));
  return limits.NoOthers();
}

Result<void> StarterCodeFrom(Fields& body, Problem& p) {
  const json::value* starter = body.Find("starter_code");
  if (starter == nullptr) return {};
  CY_TRY(Fields code, Fields::Of(*starter, "starter_code"));
  for (const auto& [language, source] : starter->get_object()) {
    const std::string field = "starter_code." + std::string(language);
    CY_CHECK(CheckLanguage(std::string(language), field));
    if (!source.is_string()) return Fail(BadField(field, "must be a string"));
    p.starter_code[std::string(language)] = std::string(source.get_string());
  }
  return {};
}

Result<void> CheckerFrom(Fields& body, Problem& p) {
  const json::value* v = body.Find("checker");
  if (v == nullptr) return {};
  CY_TRY(Fields checker, Fields::Of(*v, "checker"));
  CY_TRY(const std::string kind, checker.String("kind", "trimmed"));
  auto parsed = ParseCheckerKind(kind);
  if (!parsed) return Fail(BadField("checker.kind", parsed.error().message()));
  p.checker.kind = *parsed;
  CY_TRY(p.checker.case_sensitive, checker.Bool("case_sensitive", true));
  CY_TRY(p.checker.absolute_tolerance, checker.Number("absolute_tolerance", 0));
  CY_TRY(p.checker.relative_tolerance, checker.Number("relative_tolerance", 0));
  if (p.checker.absolute_tolerance < 0) {
    return Fail(BadField("checker.absolute_tolerance", "must not be negative"));
  }
  if (p.checker.relative_tolerance < 0) {
    return Fail(BadField("checker.relative_tolerance", "must not be negative"));
  }
  if (const json::value* program = checker.Find("program")) {
    if (p.checker.kind != CheckerKind::kCustom) {
      return Fail(BadField("checker.program", "is only for kind \"custom\""));
    }
    CY_TRY(p.checker.program, ProgramFrom(*program, "checker.program"));
  } else if (p.checker.kind == CheckerKind::kCustom) {
    return Fail(BadField("checker.program", "is required for kind \"custom\""));
  }
  return checker.NoOthers();
}

Result<void> GroupsFrom(Fields& body, Problem& p) {
  CY_TRY(const json::array* groups, body.Array("groups", false));
  if (groups == nullptr) return {};
  std::set<std::string> seen;
  for (std::size_t i = 0; i < groups->size(); ++i) {
    const std::string path = "groups[" + std::to_string(i) + "]";
    CY_TRY(Fields g, Fields::Of((*groups)[i], path));
    TestGroup group;
    CY_TRY(group.name, g.String("name", std::nullopt));
    if (group.name.empty()) return Fail(BadField(path + ".name", "must not be empty"));
    if (!seen.insert(group.name).second) {
      return Fail(BadField(path + ".name", "repeats group \"" + group.name + "\""));
    }
    CY_TRY(group.points, g.Number("points", 1));
    if (group.points < 0) return Fail(BadField(path + ".points", "must not be negative"));
    CY_CHECK(g.NoOthers());
    p.groups.push_back(std::move(group));
  }
  return {};
}

Result<void> TestsFrom(Fields& body, Problem& p) {
  CY_TRY(const json::array* tests, body.Array("tests", true));
  if (tests->empty()) return Fail(BadField("tests", "must hold at least one test"));
  std::set<std::string> names;
  std::set<std::string> groups;
  for (const TestGroup& g : p.groups) groups.insert(g.name);
  for (std::size_t i = 0; i < tests->size(); ++i) {
    const std::string path = "tests[" + std::to_string(i) + "]";
    CY_TRY(Fields t, Fields::Of((*tests)[i], path));
    TestCase test;
    CY_TRY(test.name, t.String("name", std::nullopt));
    if (test.name.empty()) return Fail(BadField(path + ".name", "must not be empty"));
    if (!names.insert(test.name).second) {
      return Fail(BadField(path + ".name", "repeats test \"" + test.name + "\""));
    }
    CY_TRY(test.group, t.String("group", ""));
    if (!test.group.empty() && !groups.contains(test.group)) {
      return Fail(BadField(path + ".group", "names group \"" + test.group +
                                                "\", which \"groups\" does not declare"));
    }
    CY_TRY(test.input, t.String("input", std::nullopt));
    CY_TRY(test.expected_output, t.String("expected_output", std::nullopt));
    CY_TRY(test.points, t.Number("points", test.group.empty() ? 1 : 0));
    if (test.points < 0) return Fail(BadField(path + ".points", "must not be negative"));
    CY_TRY(test.is_public, t.Bool("public", false));
    CY_CHECK(t.NoOthers());
    p.tests.push_back(std::move(test));
  }
  return {};
}

Result<void> AssetsFrom(Fields& body, Problem& p) {
  CY_TRY(const json::array* assets, body.Array("assets", false));
  if (assets == nullptr) return {};
  std::set<std::string> seen;
  for (std::size_t i = 0; i < assets->size(); ++i) {
    const std::string path = "assets[" + std::to_string(i) + "]";
    CY_TRY(Fields a, Fields::Of((*assets)[i], path));
    ProblemAsset asset;
    CY_TRY(asset.path, a.String("path", std::nullopt));
    CY_CHECK(CheckPath(asset.path, path + ".path"));
    if (!seen.insert(asset.path).second) {
      return Fail(BadField(path + ".path", "repeats \"" + asset.path + "\""));
    }
    CY_TRY(const std::string data, a.String("data", std::nullopt));
    auto bytes = Base64Decode(data);
    if (!bytes) return Fail(BadField(path + ".data", "must be standard padded base64"));
    asset.content = std::move(*bytes);
    CY_CHECK(a.NoOthers({"size"}));
    p.assets.push_back(std::move(asset));
  }
  return {};
}

}  // namespace

Result<Problem> ProblemFromJson(std::string_view text, std::string_view path_id) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return Fail(BadField("body", "is not JSON: " + ec.message()));
  CY_TRY(Fields body, Fields::Of(v, ""));
  Problem p;
  CY_TRY(p.id, body.String("id", std::string(path_id)));
  if (p.id.empty()) return Fail(BadField("id", "is required"));
  if (!path_id.empty() && p.id != path_id) {
    return Fail(BadField(
        "id", "\"" + p.id + "\" differs from the path's \"" + std::string(path_id) + "\""));
  }
  CY_TRY(p.title, body.String("title", std::nullopt));
  CY_TRY(p.statement_markdown, body.String("statement", ""));
  CY_TRY(p.is_public, body.Bool("public", true));
  CY_TRY(p.scoring, body.Bool("scoring", false));
  CY_TRY(p.image, body.String("image", ""));
  // Organizations (codeyard/orgs.hpp): the one it belongs to, and who sees it.
  CY_TRY(p.org_id, body.String("org_id", ""));
  CY_TRY(const std::string visibility, body.String("visibility", "public"));
  if (visibility != "public" && visibility != "org") {
    return Fail(BadField("visibility", "must be \"public\" or \"org\""));
  }
  p.org_only = visibility == "org";
  if (p.org_only && p.org_id.empty()) {
    return Fail(BadField("visibility", "\"org\" needs an org_id"));
  }
  CY_CHECK(TagsFrom(body, p));
  CY_CHECK(LimitsFrom(body, p));
  CY_CHECK(StarterCodeFrom(body, p));
  CY_CHECK(GroupsFrom(body, p));
  CY_CHECK(TestsFrom(body, p));
  CY_CHECK(CheckerFrom(body, p));
  if (const json::value* interactor = body.Find("interactor")) {
    CY_TRY(p.interactor, ProgramFrom(*interactor, "interactor"));
  }
  CY_CHECK(AssetsFrom(body, p));
  // What GET /api/v1/problems/{id} adds that is not the problem's to set.
  CY_CHECK(body.NoOthers(
      {"hidden_tests", "max_score", "created_at", "updated_at", "progress", "interactive"}));
  CY_CHECK(ValidateProblem(p));
  return p;
}

}  // namespace codeyard
