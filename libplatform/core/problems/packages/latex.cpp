// LaTeX statements to Markdown: comments dropped, sectioning and the Input/Output/Interaction
// environments become headings, lists become "- " items, \textbf/\emph/\texttt become their
// Markdown marks, \includegraphics and \illustration become images, math stays as written.
// Any other command keeps its last braced argument's text and loses its name.
#include "core/problems/packages/latex.hpp"

#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace codeyard::packages {
namespace {

// The text of a braced group starting at text[pos] == '{'; pos moves past its '}'.
std::string Braced(std::string_view text, size_t& pos) {
  int depth = 0;
  const size_t start = pos + 1;
  for (; pos < text.size(); ++pos) {
    if (text[pos] == '\\') {
      ++pos;
      continue;
    }
    if (text[pos] == '{') ++depth;
    if (text[pos] == '}' && --depth == 0) {
      ++pos;
      return std::string(text.substr(start, pos - 1 - start));
    }
  }
  return std::string(text.substr(start));
}

void SkipOptional(std::string_view text, size_t& pos) {
  if (pos < text.size() && text[pos] == '[') {
    const size_t close = text.find(']', pos);
    pos = close == std::string_view::npos ? text.size() : close + 1;
  }
}

std::string Convert(std::string_view tex, std::string& name);

std::string Heading(const std::string& title) { return "\n## " + title + "\n\n"; }

std::string Environment(const std::string& env, bool begin) {
  static const std::array<std::pair<const char*, const char*>, 3> kSections = {
      {{"Input", "Input"}, {"Output", "Output"}, {"Interaction", "Interaction"}}};
  for (const auto& [tex, title] : kSections) {
    if (env == tex) return begin ? Heading(title) : "\n";
  }
  if (env == "verbatim" || env == "lstlisting") return "\n```\n";
  return "\n";
}

std::string Convert(std::string_view tex, std::string& name) {
  std::string out;
  size_t pos = 0;
  while (pos < tex.size()) {
    const char c = tex[pos];
    if (c == '%') {  // a comment to the end of the line
      const size_t eol = tex.find('\n', pos);
      const std::string_view line =
          tex.substr(pos, eol == std::string_view::npos ? tex.npos : eol - pos);
      constexpr std::string_view kPlain = "%% plainproblemname:";
      if (line.starts_with(kPlain)) {
        std::string plain(line.substr(kPlain.size()));
        while (!plain.empty() && std::isspace(static_cast<unsigned char>(plain.front())))
          plain.erase(0, 1);
        name = plain;
      }
      pos = eol == std::string_view::npos ? tex.size() : eol + 1;
      continue;
    }
    if (c == '~') {
      out += ' ';
      ++pos;
      continue;
    }
    if (c == '$') {  // math as written, for the page's renderer
      const bool display = tex.substr(pos, 2) == "$$";
      const std::string_view mark = display ? "$$" : "$";
      const size_t close = tex.find(mark, pos + mark.size());
      const size_t end = close == std::string_view::npos ? tex.size() : close + mark.size();
      out += tex.substr(pos, end - pos);
      pos = end;
      continue;
    }
    if (c != '\\') {
      if (c != '{' && c != '}') out += c;
      ++pos;
      continue;
    }
    // A command.
    ++pos;
    if (pos < tex.size() && !std::isalpha(static_cast<unsigned char>(tex[pos]))) {
      const char escaped = tex[pos++];
      if (escaped == '\\') {
        out += "\n";
      } else if (escaped != ',' && escaped != ' ') {
        out += escaped;  // \% \$ \& \_ \{ \}
      } else {
        out += ' ';
      }
      continue;
    }
    size_t end = pos;
    while (end < tex.size() && std::isalpha(static_cast<unsigned char>(tex[end]))) ++end;
    const std::string cmd(tex.substr(pos, end - pos));
    pos = end;
    if (cmd == "problemname") {
      SkipOptional(tex, pos);
      if (pos < tex.size() && tex[pos] == '{') {
        const std::string arg = Braced(tex, pos);
        if (name.empty()) {
          std::string ignored;
          name = Convert(arg, ignored);
        }
      }
      continue;
    }
    if (cmd == "begin" || cmd == "end") {
      if (pos < tex.size() && tex[pos] == '{') out += Environment(Braced(tex, pos), cmd == "begin");
      SkipOptional(tex, pos);
      continue;
    }
    if (cmd == "item") {
      SkipOptional(tex, pos);
      out += "\n- ";
      continue;
    }
    if (cmd == "includegraphics" || cmd == "illustration") {
      SkipOptional(tex, pos);
      std::string file, caption;
      if (cmd == "illustration" && pos < tex.size() && tex[pos] == '{') Braced(tex, pos);  // width
      if (pos < tex.size() && tex[pos] == '{') file = Braced(tex, pos);
      if (cmd == "illustration" && pos < tex.size() && tex[pos] == '{') {
        std::string ignored;
        caption = Convert(Braced(tex, pos), ignored);
      }
      out += "\n![" + caption + "](" + file + ")\n";
      continue;
    }
    // \section*{..}: a star after the name.
    if (pos < tex.size() && tex[pos] == '*') ++pos;
    SkipOptional(tex, pos);
    std::string arg;
    bool has_arg = false;
    if (pos < tex.size() && tex[pos] == '{') {
      std::string ignored;
      arg = Convert(Braced(tex, pos), ignored);
      has_arg = true;
    }
    if (cmd == "section" || cmd == "subsection") {
      out += (cmd == "section" ? "\n## " : "\n### ") + arg + "\n\n";
    } else if (cmd == "textbf" || cmd == "bf") {
      out += has_arg ? "**" + arg + "**" : "";
    } else if (cmd == "emph" || cmd == "textit" || cmd == "it") {
      out += has_arg ? "*" + arg + "*" : "";
    } else if (cmd == "texttt" || cmd == "tt") {
      out += has_arg ? "`" + arg + "`" : "";
    } else if (cmd == "ldots" || cmd == "dots" || cmd == "textellipsis") {
      out += "...";
    } else if (cmd == "url") {
      out += "<" + arg + ">";
    } else if (cmd == "href") {
      std::string text;
      if (pos < tex.size() && tex[pos] == '{') {
        std::string ignored;
        text = Convert(Braced(tex, pos), ignored);
      }
      out += "[" + text + "](" + arg + ")";
    } else if (cmd == "nextsample" || cmd == "remainingsamples") {
      // The samples are shown from the public tests.
    } else {
      out += arg;
    }
  }
  return out;
}

}  // namespace

LatexStatement LatexToMarkdown(std::string_view tex) {
  LatexStatement statement;
  std::string text = Convert(tex, statement.problem_name);
  // At most one blank line in a row, none at the ends.
  std::string squeezed;
  int newlines = 0;
  for (char c : text) {
    if (c == '\n') {
      while (!squeezed.empty() && (squeezed.back() == ' ' || squeezed.back() == '\t')) {
        squeezed.pop_back();
      }
      if (++newlines > 2) continue;
    } else {
      newlines = 0;
    }
    squeezed += c;
  }
  const size_t first = squeezed.find_first_not_of("\n ");
  const size_t last = squeezed.find_last_not_of("\n ");
  statement.markdown =
      first == std::string::npos ? "" : squeezed.substr(first, last - first + 1) + "\n";
  return statement;
}

}  // namespace codeyard::packages
