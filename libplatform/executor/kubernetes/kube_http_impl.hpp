// The Client's insides, shared by kube_http.cpp, kube_watch.cpp and kube_exec.cpp: the pool of
// libcurl easy handles, TLS and credential setup, and the token cache. Thread-safe like the
// Client itself.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "executor/kubernetes/kube_http.hpp"

namespace codeyard::kube {

class Client::Impl {
 public:
  explicit Impl(Config config);
  ~Impl();

  [[nodiscard]] const Config& config() const noexcept { return config_; }

  // A handle from the pool (its connection kept alive) or a new one, TLS set up; Release
  // gives it back. Fresh handles for watch and exec, whose connections are their own.
  [[nodiscard]] CURL* Acquire();
  void Release(CURL* easy);
  [[nodiscard]] CURL* Fresh();

  // The Authorization header's list plus `extra`; the caller frees it.
  [[nodiscard]] curl_slist* Headers(const std::vector<std::string>& extra, bool force_token);
  [[nodiscard]] std::string Token(bool force);
  [[nodiscard]] bool token_from_file() const noexcept { return !config_.token_file.empty(); }

  [[nodiscard]] std::string Url(const Resource& target, const Query& query) const;

 private:
  void SetupTls(CURL* easy) const;

  Config config_;
  std::mutex pool_mutex_;
  std::vector<CURL*> pool_;

  std::mutex token_mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point token_checked_{};
  std::timespec token_mtime_{};
  bool token_loaded_ = false;
};

// "create pods \"x\" in ns \"y\"": the verb as RBAC names it and the target.
[[nodiscard]] std::string DescribeRequest(std::string_view http_verb, const Resource& target);

// "codeyard/<version>".
[[nodiscard]] const char* UserAgent() noexcept;

}  // namespace codeyard::kube
