// The host's apt sources, read as apt reads them: one-line `deb` entries in sources.list and
// sources.list.d/*.list, deb822 stanzas in sources.list.d/*.sources. Images are built from the
// mirror the machine already uses (a snapshot, a proxy or a local mirror), never a fixed one.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "codeyard/images.hpp"
#include "core/words.hpp"

namespace codeyard::images {
namespace {

std::string Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool Contains(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Signed-By names a keyring file, or holds an inline key (which debootstrap cannot take).
std::string KeyringOf(std::string_view signed_by) {
  const std::string path = Trim(signed_by);
  return !path.empty() && path.front() == '/' && path.find('\n') == std::string::npos ? path : "";
}

// "deb [signed-by=/k arch=amd64] http://x bookworm main".
std::optional<AptSource> FromOneLine(const std::string& line, std::string_view suite) {
  std::string rest = Trim(line.substr(0, line.find('#')));
  if (!rest.starts_with("deb ") && !rest.starts_with("deb\t")) return std::nullopt;
  rest = Trim(std::string_view(rest).substr(3));
  std::string keyring;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    for (const std::string& option : Words(std::string_view(rest).substr(1, close - 1))) {
      if (option.starts_with("signed-by=")) keyring = KeyringOf(option.substr(10));
    }
    rest = Trim(std::string_view(rest).substr(close + 1));
  }
  const std::vector<std::string> words = Words(rest);
  if (words.size() < 2 || words[1] != suite) return std::nullopt;
  return AptSource{words[0], keyring};
}

std::optional<AptSource> FromListFile(const std::filesystem::path& path, std::string_view suite) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (auto source = FromOneLine(line, suite)) return source;
  }
  return std::nullopt;
}

// deb822: stanzas separated by blank lines, "Field: value" with continuation lines.
std::optional<AptSource> FromSourcesFile(const std::filesystem::path& path,
                                         std::string_view suite) {
  std::ifstream in(path);
  std::map<std::string, std::string> fields;
  std::string last;
  auto finish = [&]() -> std::optional<AptSource> {
    std::optional<AptSource> found;
    const bool enabled = Lower(Trim(fields["enabled"])) != "no";
    if (enabled && Contains(Words(fields["types"]), "deb") &&
        Contains(Words(fields["suites"]), suite)) {
      const std::vector<std::string> uris = Words(fields["uris"]);
      if (!uris.empty()) found = AptSource{uris.front(), KeyringOf(fields["signed-by"])};
    }
    fields.clear();
    last.clear();
    return found;
  };
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with('#')) continue;
    if (Trim(line).empty()) {
      if (auto found = finish()) return found;
      continue;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !last.empty()) {
      fields[last] += "\n" + Trim(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    last = Lower(Trim(std::string_view(line).substr(0, colon)));
    fields[last] = Trim(std::string_view(line).substr(colon + 1));
  }
  return finish();
}

}  // namespace

Result<AptSource> FindAptSource(const std::string& etc_apt, std::string_view suite) {
  if (auto source = FromListFile(etc_apt + "/sources.list", suite)) return *source;
  std::vector<std::filesystem::path> parts;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(etc_apt + "/sources.list.d", ec)) {
    parts.push_back(entry.path());
  }
  std::sort(parts.begin(), parts.end());  // apt reads them in this order
  for (const auto& path : parts) {
    std::optional<AptSource> source;
    if (path.extension() == ".list") source = FromListFile(path, suite);
    if (path.extension() == ".sources") source = FromSourcesFile(path, suite);
    if (source) return *source;
  }
  return Fail(Error::Code::kNotFound, "images: no apt source in " + etc_apt + " serves \"" +
                                          std::string(suite) + "\"; pass a mirror (--mirror URL)");
}

}  // namespace codeyard::images
