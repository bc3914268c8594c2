#include <catch2/catch.hpp>

#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_exec.hpp"
#include "executor/kubernetes/kube_watch.hpp"
#include "executor/kubernetes/websocket_client.hpp"

namespace codeyard::kube {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (const int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST_CASE("the accept key is RFC 6455's example", "[kube][websocket]") {
  CHECK(WsAcceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("client frames are masked, server frames are not", "[kube][websocket]") {
  // RFC 6455 §5.7: a masked "Hello" and an unmasked one.
  const std::array<std::uint8_t, 4> mask = {0x37, 0xfa, 0x21, 0x3d};
  CHECK(EncodeWsFrame({true, WsOpcode::kText, "Hello"}, mask) ==
        Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  CHECK(EncodeWsFrame({true, WsOpcode::kText, "Hello"}, std::nullopt) ==
        Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST_CASE("frames decode both ways at every length form", "[kube][websocket]") {
  const std::array<std::uint8_t, 4> mask = {1, 2, 3, 4};
  for (const std::size_t size : {0u, 125u, 126u, 65535u, 65536u, 200000u}) {
    const WsFrame frame{true, WsOpcode::kBinary, std::string(size, 'z')};
    for (const bool masked : {false, true}) {
      const std::string wire = EncodeWsFrame(frame, masked ? std::optional(mask) : std::nullopt);
      WsFrameDecoder decoder;
      // Arrives in two parts: the first never makes a frame.
      decoder.Feed(std::string_view(wire).substr(0, wire.size() - 1));
      auto partial = decoder.Next();
      REQUIRE(partial);
      CHECK_FALSE(*partial);
      decoder.Feed(std::string_view(wire).substr(wire.size() - 1));
      auto whole = decoder.Next();
      REQUIRE(whole);
      REQUIRE(*whole);
      CHECK((*whole)->payload.size() == size);
      CHECK((*whole)->payload == frame.payload);
      CHECK((*whole)->opcode == WsOpcode::kBinary);
    }
  }
}

TEST_CASE("fragments and control frames decode in order", "[kube][websocket]") {
  WsFrameDecoder decoder;
  decoder.Feed(EncodeWsFrame({false, WsOpcode::kBinary, "ab"}, std::nullopt));
  decoder.Feed(EncodeWsFrame({true, WsOpcode::kPing, "p"}, std::nullopt));
  decoder.Feed(EncodeWsFrame({true, WsOpcode::kContinuation, "cd"}, std::nullopt));
  auto first = decoder.Next();
  REQUIRE((first && *first));
  CHECK_FALSE((*first)->fin);
  auto ping = decoder.Next();
  REQUIRE((ping && *ping));
  CHECK((*ping)->opcode == WsOpcode::kPing);
  auto last = decoder.Next();
  REQUIRE((last && *last));
  CHECK((*last)->opcode == WsOpcode::kContinuation);
  CHECK((*last)->fin);
}

TEST_CASE("frames the protocol forbids are refused", "[kube][websocket]") {
  WsFrameDecoder reserved;
  reserved.Feed(Bytes({0xC2, 0x00}));  // RSV1 set
  CHECK_FALSE(reserved.Next());
  WsFrameDecoder long_ping;
  long_ping.Feed(Bytes({0x89, 126, 0, 200}));
  CHECK_FALSE(long_ping.Next());
  WsFrameDecoder huge;
  huge.Feed(Bytes({0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0}));
  CHECK_FALSE(huge.Next(1 << 20));
}

TEST_CASE("exec status on channel 3 gives the exit code", "[kube][exec]") {
  auto success = ParseExecStatus(R"js({"metadata":{},"status":"Success"})js");
  REQUIRE(success);
  CHECK(success->exit_code == 0);
  auto three = ParseExecStatus(
      R"js({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})js");
  REQUIRE(three);
  CHECK(three->exit_code == 3);
  auto internal = ParseExecStatus(
      R"js({"metadata":{},"status":"Failure","message":"Internal error occurred: no such container","reason":"InternalError","details":{"causes":[{"message":"no such container"}]},"code":500})js");
  REQUIRE_FALSE(internal);
  CHECK_THAT(internal.error().message(), Catch::Contains("no such container"));
}

TEST_CASE("watch lines split across chunks and decode to events", "[kube][watch]") {
  LineSplitter splitter;
  std::vector<std::string> lines;
  const auto collect = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.Feed("{\"a\":1}\n{\"b\"", collect);
  splitter.Feed(":2}\r\n", collect);
  splitter.Feed("{\"c\":3}", collect);
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(splitter.rest() == "{\"c\":3}");

  auto added = ParseWatchEvent(
      R"js({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"6"}}})js",
      "watch pods");
  REQUIRE(added);
  CHECK(added->type == WatchEvent::Type::kAdded);
  CHECK(added->resource_version == "6");
  CHECK(added->object.at("metadata").at("name").as_string() == "a");
  auto bookmark = ParseWatchEvent(
      R"js({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12"}}})js",
      "watch pods");
  REQUIRE(bookmark);
  CHECK(bookmark->type == WatchEvent::Type::kBookmark);
  CHECK(bookmark->resource_version == "12");
  auto expired = ParseWatchEvent(
      R"js({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (120)","reason":"Expired","code":410}})js",
      "watch pods");
  REQUIRE_FALSE(expired);
  CHECK(IsExpired(expired.error()));
  CHECK_THAT(expired.error().message(), Catch::Contains("too old resource version"));
  CHECK_FALSE(ParseWatchEvent("not json", "watch pods"));
}

}  // namespace
}  // namespace codeyard::kube
