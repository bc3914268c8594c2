// The run session's pure parts (codeyard/run_session.hpp): the hello, what runs for a file
// (the language table, with the program built in the pod's /tmp rather than in the workspace,
// so a Run leaves no binary among the person's files), and the command shown to the person.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "codeyard/files.hpp"
#include "codeyard/id.hpp"
#include "codeyard/run_session.hpp"

namespace codeyard::run_session {
namespace {

Result<uint16_t> Dimension(const boost::json::object& o, std::string_view name, uint16_t dflt) {
  const boost::json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return dflt;
  const bool ok = (v->is_int64() && v->as_int64() >= 1 && v->as_int64() <= 1000) ||
                  (v->is_uint64() && v->as_uint64() >= 1 && v->as_uint64() <= 1000);
  if (!ok) {
    return Fail(Error::Code::kInvalidArgument,
                std::string(name) + " must be an integer from 1 to 1000");
  }
  return static_cast<uint16_t>(v->is_int64() ? v->as_int64()
                                             : static_cast<int64_t>(v->as_uint64()));
}

// The compile and run templates name the program "{binary}" (the workspace's
// kCompiledBinary, for one-shot runs); here it lives at kBinary.
std::vector<std::string> WithBinary(std::vector<std::string> argv) {
  const std::string local = std::string(kCompiledBinary);
  for (std::string& word : argv) {
    if (word == local || word == "./" + local) word = std::string(kBinary);
  }
  return argv;
}

}  // namespace

Result<Hello> ParseHello(std::string_view message) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(message, ec);
  if (ec || !value.is_object()) {
    return Fail(Error::Code::kInvalidArgument, "the hello must be a JSON object");
  }
  const boost::json::object& o = value.as_object();
  Hello hello;
  const boost::json::value* token = o.if_contains("token");
  if (token == nullptr || !token->is_string() || token->as_string().empty()) {
    return Fail(Error::Code::kInvalidArgument, "the hello needs a \"token\" (an access token)");
  }
  hello.token = std::string(token->as_string());
  // A reconnect names the run it picks up, and how many output and status messages of it the
  // client already has; the path is the run's own then.
  if (const boost::json::value* run_id = o.if_contains("run_id"); run_id != nullptr) {
    if (!run_id->is_string() || run_id->as_string().empty() || run_id->as_string().size() > 64) {
      return Fail(Error::Code::kInvalidArgument, "the hello's \"run_id\" is a run's id");
    }
    hello.run_id = std::string(run_id->as_string());
    if (const boost::json::value* seen = o.if_contains("seen"); seen != nullptr) {
      if (!seen->is_int64() || seen->as_int64() < 0) {
        return Fail(Error::Code::kInvalidArgument,
                    "the hello's \"seen\" is a count of messages (0 or more)");
      }
      hello.seen = static_cast<uint64_t>(seen->as_int64());
    }
  }
  const boost::json::value* path = o.if_contains("path");
  hello.resume = !hello.run_id.empty() && path == nullptr;
  if (!hello.resume && !hello.run_id.empty() && !IsUuid(hello.run_id)) {
    return Fail(Error::Code::kInvalidArgument,
                "a new run's \"run_id\" is a UUID the client chose (or none)");
  }
  if (!hello.resume) {
    if (path == nullptr || !path->is_string()) {
      return Fail(Error::Code::kInvalidArgument, "the hello needs a \"path\" (the file to run)");
    }
    auto normal = NormalizePath(std::string_view(path->as_string()));
    if (!normal) return Fail(normal.error().WithContext("field 'path'"));
    hello.path = std::move(*normal);
  }
  auto cols = Dimension(o, "cols", hello.size.cols);
  if (!cols) return Fail(cols.error());
  auto rows = Dimension(o, "rows", hello.size.rows);
  if (!rows) return Fail(rows.error());
  hello.size = {*rows, *cols};
  return hello;
}

Result<Plan> PlanFor(std::string_view path) {
  auto language = LanguageFromFileName(path);
  if (!language) {
    return Fail(Error::Code::kInvalidArgument,
                "there is no runtime for " + std::string(path) +
                    " (Run knows the languages of GET /api/v1/languages); run it from the "
                    "terminal instead");
  }
  const LanguageInfo& info = InfoOf(*language);
  const std::string main(path);
  const std::vector<std::string> sources = {main};
  Plan plan;
  plan.language = *language;
  plan.compile_limits = info.compile_limits;
  if (!info.compile_command.empty()) {
    plan.compile = WithBinary(ExpandCommand(info.compile_command, main, sources));
  }
  plan.run = WithBinary(ExpandCommand(info.run_command, main, sources));
  return plan;
}

std::string ShellQuoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& word : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
                                            "yz0123456789_./-+=:,@%") == std::string::npos;
    if (plain) {
      out += word;
      continue;
    }
    out += '\'';
    for (const char c : word) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace codeyard::run_session
