// JSON of a Problem's body for storage (see problem_json.hpp).
#include "core/problems/problem_json.hpp"

#include <boost/json.hpp>

namespace codeyard::problems {
namespace json = boost::json;
namespace {

json::object ProgramJson(const HelperProgram& program) {
  json::array files;
  for (const FileData& f : program.files)
    files.push_back(json::object{{"path", f.path}, {"content", f.content}});
  return {{"language", program.language}, {"files", std::move(files)}};
}

HelperProgram ProgramFrom(const json::object& o) {
  HelperProgram program;
  program.language = json::value_to<std::string>(o.at("language"));
  for (const json::value& f : o.at("files").as_array()) {
    FileData file;
    file.path = json::value_to<std::string>(f.at("path"));
    file.content = json::value_to<std::string>(f.at("content"));
    program.files.push_back(std::move(file));
  }
  return program;
}

}  // namespace

std::string SpecToJson(const Problem& p) {
  json::object o;
  o["statement"] = p.statement_markdown;
  json::object starter;
  for (const auto& [language, source] : p.starter_code) starter[language] = source;
  o["starter"] = std::move(starter);
  json::array topics;
  for (const std::string& t : p.tags.topics) topics.push_back(json::string(t));
  o["topics"] = std::move(topics);
  o["limits"] = json::object{{"time_limit_s", p.limits.time_limit_s},
                             {"memory_bytes", p.limits.memory_bytes},
                             {"output_bytes", p.limits.output_bytes}};
  json::array groups;
  for (const TestGroup& g : p.groups)
    groups.push_back(json::object{{"name", g.name}, {"points", g.points}});
  o["groups"] = std::move(groups);
  json::object checker{{"kind", std::string(CheckerKindName(p.checker.kind))},
                       {"case_sensitive", p.checker.case_sensitive},
                       {"absolute_tolerance", p.checker.absolute_tolerance},
                       {"relative_tolerance", p.checker.relative_tolerance}};
  if (p.checker.program) checker["program"] = ProgramJson(*p.checker.program);
  o["checker"] = std::move(checker);
  if (p.interactor) o["interactor"] = ProgramJson(*p.interactor);
  o["scoring"] = p.scoring;
  if (!p.image.empty()) o["image"] = p.image;
  return json::serialize(o);
}

Result<void> SpecFromJson(std::string_view text, Problem& p) {
  try {
    const json::object o = json::parse(text).as_object();
    p.statement_markdown = json::value_to<std::string>(o.at("statement"));
    p.starter_code.clear();
    for (const auto& [language, source] : o.at("starter").as_object()) {
      p.starter_code[std::string(language)] = json::value_to<std::string>(source);
    }
    p.tags.topics.clear();
    for (const json::value& t : o.at("topics").as_array())
      p.tags.topics.push_back(json::value_to<std::string>(t));
    const json::object& limits = o.at("limits").as_object();
    p.limits.time_limit_s = json::value_to<double>(limits.at("time_limit_s"));
    p.limits.memory_bytes = json::value_to<uint64_t>(limits.at("memory_bytes"));
    p.limits.output_bytes = json::value_to<uint64_t>(limits.at("output_bytes"));
    p.groups.clear();
    for (const json::value& g : o.at("groups").as_array()) {
      p.groups.push_back(
          {json::value_to<std::string>(g.at("name")), json::value_to<double>(g.at("points"))});
    }
    const json::object& checker = o.at("checker").as_object();
    auto kind = ParseCheckerKind(json::value_to<std::string>(checker.at("kind")));
    if (!kind)
      return Fail(Error::Code::kDataLoss, "problems: stored checker: " + kind.error().message());
    p.checker.kind = *kind;
    p.checker.case_sensitive = checker.at("case_sensitive").as_bool();
    p.checker.absolute_tolerance = json::value_to<double>(checker.at("absolute_tolerance"));
    p.checker.relative_tolerance = json::value_to<double>(checker.at("relative_tolerance"));
    p.checker.program.reset();
    if (const json::value* program = checker.if_contains("program")) {
      p.checker.program = ProgramFrom(program->as_object());
    }
    p.interactor.reset();
    if (const json::value* interactor = o.if_contains("interactor")) {
      p.interactor = ProgramFrom(interactor->as_object());
    }
    p.scoring = o.at("scoring").as_bool();
    p.image.clear();
    if (const json::value* image = o.if_contains("image")) {
      p.image = json::value_to<std::string>(*image);
    }
  } catch (const std::exception& e) {
    return Fail(Error::Code::kDataLoss,
                "problems: stored spec of '" + p.id + "' is unreadable: " + e.what());
  }
  return {};
}

}  // namespace codeyard::problems
