// A terminal connection played without networking, for the Terminals test files: it pulls
// what Terminals queued for one viewer (output, statuses, titles, the close) and waits on
// conditions with a deadline, polling what is queued (never a fixed sleep as the condition).
// Header-only; one thread per viewer, as a transport's service thread would be.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "codeyard/terminals.hpp"

namespace codeyard::testing {

inline constexpr std::chrono::seconds kTerminalDeadline{20};

struct TerminalViewer {
  TerminalViewer(Terminals& terminals, uint64_t viewer) : t(terminals), id(viewer) {}

  Terminals& t;
  uint64_t id = 0;
  std::string output;
  std::vector<std::string> statuses;
  std::vector<std::string> titles;
  std::optional<terminal::Close> closed;

  void Pull() {
    for (;;) {
      bool more = false;
      TerminalOut out = t.Next(id, &more);
      if (auto* m = std::get_if<std::string>(&out)) {
        const std::string payload = m->substr(1);
        if (m->front() == terminal::kOutput) output += payload;
        if (m->front() == terminal::kStatus) statuses.push_back(payload);
        if (m->front() == terminal::kTitle) titles.push_back(payload);
      } else if (auto* c = std::get_if<terminal::Close>(&out)) {
        closed = *c;
        return;
      } else {
        return;
      }
    }
  }
  // Pulls until `done` holds; FAILs at the deadline or on a close.
  template <class F>
  void Until(F done, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + kTerminalDeadline;
    while (Pull(), !done()) {
      if (closed || std::chrono::steady_clock::now() > deadline) {
        FAIL("terminal: " << what << " not seen; closed=" << (closed ? closed->code : 0) << " "
                          << (closed ? closed->reason : "") << " output tail: "
                          << output.substr(output.size() > 300 ? output.size() - 300 : 0));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void Wait(const std::string& needle, std::size_t after = 0) {
    Until([&] { return output.find(needle, after) != std::string::npos; }, needle);
  }
  void Running() {
    Until(
        [&] {
          return !statuses.empty() && statuses.back().find("\"running\"") != std::string::npos;
        },
        "running status");
  }
  [[nodiscard]] bool Started() const {
    return !statuses.empty() && statuses.back().find("\"started\":true") != std::string::npos;
  }
  void Type(const std::string& input) {
    REQUIRE_FALSE(t.Receive(id, terminal::Message(terminal::kInput, input)).has_value());
  }
  // Types `echo marker_$((6*7))` and waits for marker_42 (the output, not the echoed input).
  void Marker(const std::string& marker) {
    const std::size_t start = output.size();
    Type("echo " + marker + "_$((6*7))\r");
    Wait(marker + "_42", start);
  }
  // Pulls until the close comes; returns its code.
  uint16_t WaitClosed() {
    const auto deadline = std::chrono::steady_clock::now() + kTerminalDeadline;
    while (Pull(), !closed) {
      if (std::chrono::steady_clock::now() > deadline) FAIL("terminal not closed");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return closed->code;
  }
};

}  // namespace codeyard::testing
