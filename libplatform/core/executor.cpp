#include "codeyard/backend/executor.hpp"

namespace codeyard {

std::string_view PodPhaseName(PodPhase phase) noexcept {
  switch (phase) {
    case PodPhase::kPending:
      return "pending";
    case PodPhase::kRunning:
      return "running";
    case PodPhase::kTerminated:
      return "terminated";
  }
  return "unknown";
}

bool LabelsMatch(const Labels& labels, const LabelSelector& selector) {
  for (const auto& [key, value] : selector) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace codeyard
