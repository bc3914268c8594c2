// YAML text (a kubeconfig) as a JSON value, so the rest of the client reads one kind of
// tree. yaml-cpp (already linked for problem packages) does the parsing; this maps its nodes
// to boost::json: plain scalars `true`/`false`, integers and `null`/`~` get their types,
// quoted scalars stay strings. JSON is YAML, so JSON kubeconfigs parse too. Pure: any thread.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "codeyard/error.hpp"

namespace codeyard::kube {

// kInvalidArgument "kubernetes: kubeconfig line N, column M: ..." for text that is not YAML.
[[nodiscard]] Result<boost::json::value> ParseYaml(std::string_view text);

}  // namespace codeyard::kube
