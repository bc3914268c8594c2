#include "storage/sql/sql_text.hpp"

namespace codeyard::sql {
namespace {

// Calls `on_char(i)` for each character outside single-quoted literals and `--` comments,
// and `on_skipped(i)` for the others, so the callers share one quoting rule.
template <class Outside, class Inside>
void Scan(std::string_view text, Outside on_char, Inside on_skipped) {
  bool in_quote = false;
  bool in_comment = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_comment) {
      if (c == '\n') in_comment = false;
      on_skipped(i);
    } else if (in_quote) {
      if (c == '\'') in_quote = false;  // '' re-enters on the next character
      on_skipped(i);
    } else if (c == '\'') {
      in_quote = true;
      on_skipped(i);
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      in_comment = true;
      on_skipped(i);
    } else {
      on_char(i);
    }
  }
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  bool comment_only = true;
  Scan(
      script,
      [&](std::size_t i) {
        if (script[i] == ';') {
          if (!comment_only && !IsBlank(current)) out.push_back(current);
          current.clear();
          comment_only = true;
        } else {
          current.push_back(script[i]);
          if (script[i] != ' ' && script[i] != '\n' && script[i] != '\t' && script[i] != '\r') {
            comment_only = false;
          }
        }
      },
      // Quoted text and comments are kept verbatim; both engines accept comments.
      [&](std::size_t i) { current.push_back(script[i]); });
  if (!comment_only && !IsBlank(current)) out.push_back(current);
  return out;
}

std::string NumberPlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  Scan(
      sql,
      [&](std::size_t i) {
        if (sql[i] == '?') {
          out += '$';
          out += std::to_string(++n);
        } else {
          out.push_back(sql[i]);
        }
      },
      [&](std::size_t i) { out.push_back(sql[i]); });
  if (count != nullptr) *count = n;
  return out;
}

int CountPlaceholders(std::string_view sql) {
  int n = 0;
  Scan(
      sql, [&](std::size_t i) { n += sql[i] == '?' ? 1 : 0; }, [](std::size_t) {});
  return n;
}

std::string ExpandTokens(std::string_view sql, const Tokens& tokens) {
  static constexpr std::string_view kBlob = "{blob}";
  static constexpr std::string_view kId = "{id}";
  static constexpr std::string_view kSkipLocked = "{skip_locked}";
  static constexpr std::string_view kXact = "{xact}";
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t skip_until = 0;  // the rest of a token already written
  Scan(
      sql,
      [&](std::size_t i) {
        if (i < skip_until) return;
        const std::string_view rest = sql.substr(i);
        if (rest.starts_with(kBlob)) {
          out += tokens.blob;
          skip_until = i + kBlob.size();
        } else if (rest.starts_with(kId)) {
          out += tokens.id;
          skip_until = i + kId.size();
        } else if (rest.starts_with(kSkipLocked)) {
          out += tokens.skip_locked;
          skip_until = i + kSkipLocked.size();
        } else if (rest.starts_with(kXact)) {
          out += tokens.xact;
          skip_until = i + kXact.size();
        } else {
          out.push_back(sql[i]);
        }
      },
      [&](std::size_t i) { out.push_back(sql[i]); });
  return out;
}

}  // namespace codeyard::sql
