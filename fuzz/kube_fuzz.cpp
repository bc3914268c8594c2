// What the Kubernetes executor parses from the API server (executor/kubernetes/): a watch
// stream cut into lines and each decoded (ParseWatchEvent), its pod objects read
// (PodInfoFromObject, ClassifyPod, the spec annotation, held-until), Status bodies of failed
// requests (ErrorFromStatus), the exec WebSocket's frames and channel 3's Status, Retry-After,
// quantities and timestamps, a kubeconfig (YAML or JSON) and the `k8s:` URI. The first byte
// picks the parser, the rest is its input.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "executor/kubernetes/kube_config.hpp"
#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_exec.hpp"
#include "executor/kubernetes/kube_manifest.hpp"
#include "executor/kubernetes/kube_readiness.hpp"
#include "executor/kubernetes/kube_watch.hpp"
#include "executor/kubernetes/kube_yaml.hpp"
#include "executor/kubernetes/websocket_client.hpp"

namespace {

using namespace codeyard::kube;

void ReadPod(const boost::json::value& value) {
  if (!value.is_object()) return;
  const auto& pod = value.get_object();
  (void)PodInfoFromObject(pod);
  (void)ClassifyPod(pod);
  (void)HeldUntilOf(pod);
}

void WatchStream(std::string_view stream) {
  while (!stream.empty()) {
    const std::size_t eol = stream.find('\n');
    const std::string_view line = stream.substr(0, eol);
    stream = eol == std::string_view::npos ? std::string_view() : stream.substr(eol + 1);
    auto event = ParseWatchEvent(line, "watch pods in ns \"fuzz\"");
    if (event) {
      ReadPod(event->object);
    } else {
      (void)IsExpired(event.error());
      (void)IsTransientWatchError(event.error());
    }
  }
}

void ExecFrames(std::string_view bytes) {
  WsFrameDecoder decoder;
  decoder.Feed(bytes);
  for (int i = 0; i < 1000; ++i) {
    auto frame = decoder.Next(1 << 16);
    if (!frame || !*frame) break;
    const std::string& payload = (*frame)->payload;
    // The exec subprotocol: a channel byte, then the channel's bytes; 3 is the Status.
    if (!payload.empty() && payload[0] == 3) (void)ParseExecStatus(payload.substr(1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      WatchStream(rest);
      break;
    case 1: {
      boost::system::error_code ec;
      ReadPod(boost::json::parse(rest, ec));
      break;
    }
    case 2: {
      const long status = 400 + static_cast<long>(size % 130);
      const auto error = ErrorFromStatus(status, rest, "create pods in ns \"fuzz\"");
      (void)IsExpired(error);
      (void)IsRetryableStatus(status);
      break;
    }
    case 3:
      ExecFrames(rest);
      break;
    case 4:
      (void)ParseExecStatus(rest);
      (void)ParseRetryAfter(rest);
      (void)ParseRfc3339Millis(rest);
      (void)ParseQuantityBytes(rest);
      break;
    case 5:
      (void)DecodeSpecAnnotation(rest);
      break;
    case 6:
      (void)ParseKubeconfig(rest, "", "/nonexistent-codeyard-fuzz");
      break;
    case 7:
      (void)ParseYaml(rest);
      break;
    default:
      (void)ParseKubeUri(rest);
      break;
  }
  return 0;
}
