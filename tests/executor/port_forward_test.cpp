// Pod::ConnectPort on real local pods: the init connects to a port on the pod's own loopback
// and hands the socket over, so a server started in a pod with no network is reached from the
// host only this way (what the server's preview relay stands on, core/relay).
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "executor/pod_fixture.hpp"

using namespace codeyard;
using namespace codeyard::testing;
using namespace std::chrono_literals;

namespace {

// An echo server on 127.0.0.1:<port> in the pod: each connection gets back what it sent and
// is closed once the client ends its writing.
std::unique_ptr<Process> StartEchoServer(Pod& pod, int port) {
  ExecSpec spec;
  spec.argv = {"python3", "-c",
               "import socket\n"
               "s = socket.socket()\n"
               "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
               "s.bind(('127.0.0.1', " +
                   std::to_string(port) +
                   "))\n"
                   "s.listen()\n"
                   "print('listening', flush=True)\n"
                   "while True:\n"
                   "    c, _ = s.accept()\n"
                   "    while True:\n"
                   "        d = c.recv(65536)\n"
                   "        if not d: break\n"
                   "        c.sendall(d)\n"
                   "    c.close()\n"};
  auto started = pod.Exec(spec);
  REQUIRE(started.has_value());
  auto chunk = (*started)->ReadOutput(20s);
  REQUIRE(chunk.has_value());
  REQUIRE(chunk->has_value());
  REQUIRE((*chunk)->data.find("listening") != std::string::npos);
  return std::move(*started);
}

std::string ReadAll(PortStream& stream) {
  std::string out;
  while (true) {
    auto got = stream.Read(64 << 10, 20s);
    REQUIRE(got.has_value());
    if (got->empty()) return out;
    out += *got;
  }
}

}  // namespace

TEST_CASE("ConnectPort reaches a server on the pod's loopback", "[executor][ports]") {
  PodFixture f;
  auto pod = f.NewPod();
  auto server = StartEchoServer(*pod, 8765);

  auto stream = pod->ConnectPort(8765);
  REQUIRE(stream.has_value());
  REQUIRE((*stream)->Write("hello through the init\n", 5s).has_value());
  REQUIRE((*stream)->CloseWrite().has_value());
  CHECK(ReadAll(**stream) == "hello through the init\n");

  SECTION("megabytes pass both ways while the other side is busy") {
    auto big = pod->ConnectPort(8765);
    REQUIRE(big.has_value());
    std::string payload(8 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 % 251);
    // The echo writes back as it reads: writing everything before reading would deadlock
    // once both socket buffers are full, so one thread writes while this one reads.
    auto writer = std::async(std::launch::async, [&] {
      auto wrote = (*big)->Write(payload, 20s);
      if (wrote) wrote = (*big)->CloseWrite();
      return wrote.has_value();
    });
    const std::string echoed = ReadAll(**big);
    CHECK(writer.get());
    CHECK(echoed.size() == payload.size());
    CHECK(echoed == payload);
  }
}

TEST_CASE("ConnectPort to a port nothing listens on says so", "[executor][ports]") {
  PodFixture f;
  auto pod = f.NewPod();
  auto refused = pod->ConnectPort(8766);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Error::Code::kUnavailable);
  CHECK_THAT(refused.error().message(), Catch::Contains("nothing listens on port 8766"));

  auto zero = pod->ConnectPort(0);
  REQUIRE_FALSE(zero.has_value());
  CHECK(zero.error().code() == Error::Code::kInvalidArgument);
}

TEST_CASE("a forwarded connection ends with its pod", "[executor][ports]") {
  PodFixture f;
  auto pod = f.NewPod();
  auto server = StartEchoServer(*pod, 8767);
  auto stream = pod->ConnectPort(8767);
  REQUIRE(stream.has_value());
  REQUIRE(f.executor().DeletePod(pod->id()).has_value());
  // The pod's network namespace is gone with its processes: the stream ends, nothing hangs.
  auto got = (*stream)->Read(1024, 20s);
  REQUIRE(got.has_value());
  CHECK(got->empty());
  auto again = pod->ConnectPort(8767);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code() == Error::Code::kFailedPrecondition);
}
