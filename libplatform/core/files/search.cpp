// codeyard::FileSearch: reads a workspace's files from storage in one read transaction, in
// path order, and hands each text file to the LineMatcher, within the caps of SearchLimits.
#include "codeyard/search.hpp"

#include "core/files/file_ops.hpp"
#include "core/files/search_match.hpp"
#include "core/store/items.hpp"
#include "core/store/transact.hpp"
#include "core/try.hpp"

namespace codeyard {

SearchLimits SearchLimitsFrom(const Config& config) {
  SearchLimits limits;
  limits.max_query_bytes = config.search_max_query_bytes;
  limits.max_results = config.search_max_results;
  limits.max_scan_bytes = config.search_max_scan_bytes;
  limits.max_file_bytes = config.search_max_file_bytes;
  limits.max_line_bytes = config.search_max_line_bytes;
  limits.max_cpu_ms = config.search_max_cpu_ms;
  return limits;
}

FileSearch::FileSearch(std::shared_ptr<Platform> platform, SearchLimits limits)
    : platform_(std::move(platform)), limits_(limits) {}

Result<SearchResult> FileSearch::Search(std::string_view user_id, std::string_view workspace_id,
                                        const SearchQuery& query) const {
  CY_TRY(const auto matcher, search::LineMatcher::Make(query, limits_));
  search::CpuBudget budget{std::chrono::milliseconds(limits_.max_cpu_ms)};
  return store::Transact(
      platform_->storage(), TxKind::kRead, [&](Transaction& tx) -> Result<SearchResult> {
        CY_CHECK(files::OwnedWorkspace(tx, user_id, workspace_id));
        CY_TRY(const std::vector<WorkspaceItem> all, store::items::List(tx, workspace_id));
        SearchResult result;
        const auto max_results = static_cast<std::size_t>(limits_.max_results);
        std::vector<SearchMatch> found;
        for (const WorkspaceItem& item : all) {
          if (item.kind != ItemKind::kFile) continue;
          if (item.size > limits_.max_file_bytes) {
            ++result.files_skipped;
            continue;
          }
          if (result.bytes_scanned + item.size > limits_.max_scan_bytes) {
            result.truncated_by = "search.max_scan_bytes";
            break;
          }
          CY_TRY(const WorkspaceItem file,
                 store::items::Get(tx, workspace_id, item.path, store::items::Content::kLoad));
          result.bytes_scanned += static_cast<int64_t>(file.content.size());
          if (search::LooksBinary(file.content)) {
            ++result.files_skipped;
            continue;
          }
          ++result.files_scanned;
          const std::size_t left = max_results - static_cast<std::size_t>(result.matches);
          found.clear();
          // One more than fits tells whether the cap cut this file short.
          CY_CHECK(matcher->FindAll(file.content, left + 1, &found, budget));
          if (budget.spent()) {
            // What this file matched before the time ran out is kept (its lines in order).
            result.truncated_by = "search.max_cpu_ms";
            if (found.size() > left) found.resize(left);
            result.matches += static_cast<int64_t>(found.size());
            if (!found.empty())
              result.files.push_back(SearchFileResult{item.path, std::move(found)});
            break;
          }
          if (found.empty()) continue;
          const bool over = found.size() > left;
          if (over) found.resize(left);
          if (!found.empty()) {
            result.matches += static_cast<int64_t>(found.size());
            result.files.push_back(SearchFileResult{item.path, std::move(found)});
            found = {};
          }
          if (over) {
            result.truncated_by = "search.max_results";
            break;
          }
        }
        return result;
      });
}

}  // namespace codeyard
