// Splitting text into its whitespace-separated words, as a shell's `read -a` or `>>` into a
// string does: what the apt sources reader, the Kattis importer and the fake executor's
// builtins each wrote again. Pure; any thread.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace codeyard {

// The words of `text`, in order; runs of spaces, tabs and newlines separate them.
inline std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace codeyard
