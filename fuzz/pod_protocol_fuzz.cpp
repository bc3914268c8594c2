// The pod protocol, both ways (executor/local/pod/agent_protocol.hpp, session_frames.hpp).
// A hostile pod: the library's agent Pod (codeyard/backend/agent_pod.hpp, what the Kubernetes
// backend speaks) over a stream whose every byte comes from the input, for each Pod call: an
// exec read to its end, a terminal session, file get/list/put/delete, a port, a reset. The
// library must answer each with a result or a clear error, never crash or hang. The other way,
// what the agent in a pod parses from the library: an open's JSON, a call's body with its
// files, the exec request and the pod config.
// Input: [mode][piece size][bytes...].
#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "byte_stream.hpp"
#include "codeyard/backend/agent_pod.hpp"
#include "executor/local/pod/agent_protocol.hpp"
#include "executor/local/pod/session_frames.hpp"
#include "executor/local/protocol.hpp"

namespace {

using namespace codeyard;

void Drain(Process& process) {
  for (int i = 0; i < 100000; ++i) {
    auto chunk = process.ReadOutput(std::chrono::milliseconds(2000));
    if (!chunk || !*chunk) break;
  }
  (void)process.Wait();
}

void HostilePod(int op, std::size_t piece, const std::string& bytes) {
  int opens = 0;
  agent::StreamOpener opener =
      [&](std::vector<std::string>) -> Result<std::unique_ptr<PortStream>> {
    if (++opens > 4) return Fail(Error::Code::kUnavailable, "fuzz: no more streams");
    return std::make_unique<fuzz::ByteStream>(bytes, piece);
  };
  PodInfo info;
  info.id = "fuzz-pod";
  info.phase = PodPhase::kRunning;
  agent::AgentPodOptions options;
  options.call_timeout = std::chrono::seconds(2);
  auto pod = agent::MakeAgentPod(info, opener, options);
  ExecSpec spec;
  spec.argv = {"sh"};
  spec.output_limit_bytes = 4096;
  switch (op % 8) {
    case 0: {
      auto process = pod->Exec(spec);
      if (process) Drain(**process);
      break;
    }
    case 1: {
      spec.stdin_open = true;
      spec.tty = true;
      auto process = pod->Exec(spec);
      if (!process) break;
      (void)(*process)->WriteStdin("ls\n");
      (void)(*process)->Resize(TerminalSize{40, 100});
      Drain(**process);
      break;
    }
    case 2: {
      auto session = pod->OpenSession("terminal", spec);
      if (session) Drain(*session->process);
      break;
    }
    case 3: {
      const std::vector<std::string> paths = {"a.txt", "src/main.py"};
      (void)pod->GetFiles(paths);
      break;
    }
    case 4:
      (void)pod->ListFiles(ListFilesOptions{});
      break;
    case 5: {
      const std::vector<FileData> files = {{.path = "a.txt", .content = "hello"}};
      (void)pod->PutFiles(files);
      const std::vector<std::string> paths = {"a.txt"};
      (void)pod->DeleteFiles(paths);
      break;
    }
    case 6: {
      auto port = pod->ConnectPort(8000);
      if (!port) break;
      (void)(*port)->Write("GET / HTTP/1.1\r\n\r\n", std::chrono::milliseconds(2000));
      for (int i = 0; i < 10000; ++i) {
        auto got = (*port)->Read(4096, std::chrono::milliseconds(2000));
        if (!got || got->empty()) break;
      }
      break;
    }
    default:
      (void)pod->Reset();
      break;
  }
}

// What `codeyard-pod agent` parses from the library (frames, then their payloads).
void LibraryToPod(const std::string& bytes) {
  local::FrameReader reader;
  reader.Feed(bytes);
  while (auto frame = reader.Next()) {
    boost::system::error_code ec;
    const boost::json::value json = boost::json::parse(frame->payload, ec);
    if (!ec && json.is_object()) {
      const auto& object = json.get_object();
      (void)local::ExecRequestFromJson(object);
      (void)local::PodConfigFromJson(object);
      (void)local::ListFilesOptionsFromJson(object);
      (void)local::ErrorFromMessage(object);
      (void)local::ExitReportFromJson(object);
    }
    if (!ec) {
      (void)local::StringsFromJson(json);
      (void)local::FileEntriesFromJson(json);
    }
    auto body = local::DecodeBody(frame->payload);
    if (body) {
      (void)local::TakeFileData(*body);
      if (const auto* files = body->json.if_contains("files")) {
        (void)local::FileEntriesFromJson(*files);
      }
    }
    (void)local::ValidSessionName(frame->payload);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int mode = data[0];
  const std::size_t piece = std::size_t{data[1]} * 16 + 1;
  const std::string bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (mode < 224) {
    HostilePod(mode, piece, bytes);
  } else {
    LibraryToPod(bytes);
  }
  return 0;
}
