// A backend URI's query, split into its parameters: what the executor and storage URIs
// (`local:?state_dir=...`, `fake:?max_pods=2`, `sqlite:///x.db?readers=4`) take after the '?'.
// Nothing is percent-decoded: those values are paths and numbers. Pure; any thread.
#pragma once

#include <string_view>
#include <vector>

namespace codeyard {

struct QueryParam {
  std::string_view key;
  std::string_view value;  // empty for a parameter without '='
};

// The key=value pairs of `query` ("a=1&b"), in order, viewing `query`. An empty pair
// ("a=1&&b") is a parameter with an empty key, for the caller to refuse as unknown.
inline std::vector<QueryParam> SplitQuery(std::string_view query) {
  std::vector<QueryParam> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    params.push_back({pair.substr(0, eq),
                      eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)});
  }
  return params;
}

}  // namespace codeyard
