// `codeyard submit PROBLEM FILE [--lang L]`: submits a program to a problem on the server,
// waits for its grading (GET /submissions/{id}?wait=30, again until done) and prints the
// per-test table. Exit code 0 only when the verdict is `accepted`, 1 for any other verdict.
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "api_client.hpp"
#include "codeyard/languages.hpp"
#include "commands.hpp"

namespace codeyard::cli {
namespace {

constexpr int kWaitS = 30;  // the server's longest wait per request

struct SubmitFlags {
  std::string problem;
  std::string file;
  std::string language;
  bool json = false;
};

std::string Text(const boost::json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (f == nullptr || f->is_null()) return "-";
  if (f->is_string()) return std::string(f->as_string());
  return boost::json::serialize(*f);
}

void PrintTable(const boost::json::value& s) {
  std::printf("%-24s %-22s %8s %10s %7s\n", "test", "verdict", "time ms", "memory KiB", "score");
  for (const auto& t : s.at("tests").as_array()) {
    std::printf("%-24s %-22s %8s %10s %7s\n", Text(t, "name").c_str(), Text(t, "verdict").c_str(),
                Text(t, "time_ms").c_str(), Text(t, "memory_kb").c_str(), Text(t, "score").c_str());
  }
  const std::string compile = Text(s, "compile_output");
  if (compile != "-" && !compile.empty()) std::fprintf(stderr, "%s", compile.c_str());
  std::printf("verdict: %s | score %s/%s\n", Text(s, "verdict").c_str(), Text(s, "score").c_str(),
              Text(s, "max_score").c_str());
}

void Submit(const SubmitFlags& flags) {
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) Raise(Error(Error::Code::kInvalidArgument, "submit: cannot read " + flags.file));
  std::stringstream source;
  source << in.rdbuf();
  const std::string name = std::filesystem::path(flags.file).filename().string();
  auto language =
      flags.language.empty() ? LanguageFromFileName(name) : ParseLanguage(flags.language);
  if (!language) Raise(language.error().WithContext("submit"));

  ApiClient api;
  const boost::json::object body{{"language", LanguageName(*language)},
                                 {"files", boost::json::object{{name, source.str()}}}};
  const boost::json::value queued =
      api.Call("POST", "/problems/" + EscapePath(flags.problem) + "/submissions", body);
  const std::string id(queued.at("id").as_string());
  if (StderrIsTty()) std::fprintf(stderr, "submitted %s; grading...\n", id.c_str());
  boost::json::value s;
  for (;;) {
    s = api.Call("GET", "/submissions/" + EscapePath(id) + "?wait=" + std::to_string(kWaitS));
    if (s.at("state").as_string() == "done") break;
  }
  if (flags.json) {
    std::cout << boost::json::serialize(s) << "\n";
  } else {
    PrintTable(s);
  }
  if (Text(s, "verdict") != "accepted") throw CommandFailed(kExitFailed, "");
}

}  // namespace

void AddSubmitCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("submit", "submit a program to a problem and wait for its grade");
  cmd->footer(
      "Examples:\n"
      "  codeyard submit twice solution.py\n"
      "  codeyard submit twice main.c --json | jq .verdict\n"
      "Exits 0 only when the submission is accepted.");
  auto flags = std::make_shared<SubmitFlags>();
  cmd->add_option("problem", flags->problem, "problem id")->required();
  cmd->add_option("file", flags->file, "the program's source file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--lang", flags->language, "language (default: from the file's extension)");
  cmd->add_flag("--json", flags->json, "print the graded submission as JSON");
  cmd->callback([flags] { Submit(*flags); });
}

}  // namespace codeyard::cli
