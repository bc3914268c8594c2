// Language servers in a real pod (codeyard/language_servers.hpp): LSP's Content-Length framing
// both ways, and pylsp (python3-pylsp, from scripts/bootstrap) answering initialize and
// publishing a syntax error for `def broken(:` through a LanguageServerSession.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "codeyard/language_servers.hpp"
#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

TEST_CASE("LSP messages are framed with Content-Length and taken back whole", "[lsp]") {
  const std::string one = FrameLspMessage(R"({"a":1})");
  CHECK(one == "Content-Length: 7\r\n\r\n{\"a\":1}");
  std::string buffer = one + FrameLspMessage("{}");
  buffer += "Content-Length: 13\r\n\r\n{\"par";  // the third is not whole yet
  auto taken = TakeLspMessages(buffer);
  REQUIRE(taken.has_value());
  CHECK(*taken == std::vector<std::string>{R"({"a":1})", "{}"});
  CHECK(buffer == "Content-Length: 13\r\n\r\n{\"par");
  buffer += "tial\":1}";
  taken = TakeLspMessages(buffer);
  REQUIRE(taken.has_value());
  CHECK(*taken == std::vector<std::string>{R"({"partial":1})"});
  CHECK(buffer.empty());

  std::string other_headers =
      "Content-Type: application/vscode-jsonrpc\r\ncontent-length: 2\r\n\r\n{}";
  taken = TakeLspMessages(other_headers);
  REQUIRE(taken.has_value());
  CHECK(taken->size() == 1);

  std::string bad = "Content-Length: x\r\n\r\n";
  CHECK_FALSE(TakeLspMessages(bad).has_value());
  std::string none = "X: 1\r\n\r\n";
  CHECK_FALSE(TakeLspMessages(none).has_value());
  std::string huge = "Content-Length: 99999999999\r\n\r\n";
  CHECK_FALSE(TakeLspMessages(huge).has_value());
}

TEST_CASE("the language server commands", "[lsp]") {
  CHECK(LanguageServerCommand("python")->front() == "pylsp");
  CHECK(LanguageServerCommand("cpp")->front() == "clangd");
  CHECK(LanguageServerCommand("c")->front() == "clangd");
  CHECK(LanguageServerCommand("ruby").error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("pylsp in a pod publishes a syntax error", "[lsp][executor]") {
  PodFixture f;
  auto pod = f.NewPod();
  ExecSpec spec;
  spec.argv = *LanguageServerCommand("python");
  spec.stdin_open = true;
  auto process = pod->Exec(spec);
  REQUIRE(process.has_value());

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> received;
  bool ended = false;
  LanguageServerCallbacks callbacks;
  callbacks.on_message = [&](std::string m) {
    std::lock_guard lock(mu);
    received.push_back(std::move(m));
    cv.notify_all();
  };
  callbacks.on_end = [&](const Error&) {
    std::lock_guard lock(mu);
    ended = true;
    cv.notify_all();
  };
  LanguageServerSession session(std::move(*process), callbacks);
  // Waits for a message `match` accepts (parsed: the server's spacing is its own business).
  const auto wait_for = [&](const std::function<bool(const boost::json::object&)>& match) {
    std::unique_lock lock(mu);
    const bool found = cv.wait_for(lock, 60s, [&] {
      for (const auto& m : received) {
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(m, ec);
        if (!ec && v.is_object() && match(v.as_object())) return true;
      }
      return ended;
    });
    REQUIRE(found);
    REQUIRE_FALSE(ended);
  };

  REQUIRE(session
              .Send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,)"
                    R"("rootUri":"file:///workspace","capabilities":{}}})")
              .has_value());
  wait_for([](const boost::json::object& m) {
    return m.contains("id") && m.at("id") == 1 && m.contains("result");
  });
  REQUIRE(session.Send(R"({"jsonrpc":"2.0","method":"initialized","params":{}})").has_value());
  REQUIRE(session
              .Send(R"({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":)"
                    R"({"uri":"file:///workspace/broken.py","languageId":"python","version":1,)"
                    R"("text":"def broken(:\n    pass\n"}}})")
              .has_value());
  // pylsp publishes for the open document; the syntax error is an error on line 1 (0 in LSP).
  wait_for([](const boost::json::object& m) {
    if (!m.contains("method") || m.at("method") != "textDocument/publishDiagnostics") return false;
    const auto& params = m.at("params").as_object();
    if (params.at("uri") != "file:///workspace/broken.py") return false;
    for (const auto& d : params.at("diagnostics").as_array()) {
      const auto& diagnostic = d.as_object();
      if (diagnostic.at("range").at("start").at("line") == 0 && diagnostic.contains("severity") &&
          diagnostic.at("severity") == 1) {
        return true;
      }
    }
    return false;
  });
}
