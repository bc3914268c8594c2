// The synthetic /etc files of a pod (see root_fs.hpp). Only three accounts exist: root (the
// host's root is unmapped inside, so files owned by it show up as nobody), the pod user
// `runner` and nobody; name resolution is files only.
#include "executor/local/pod/root_fs.hpp"

#include <string>

#include "core/try.hpp"
#include "executor/local/pod/sys.hpp"

namespace codeyard::local::pod {

Result<void> WriteEtcFiles(const std::string& etc, const PodConfig& config) {
  const std::string pod_id = std::to_string(kPodUid);
  const std::string passwd =
      "root:x:0:0:root:/root:/usr/sbin/nologin\n"
      "runner:x:" +
      pod_id + ":" + pod_id + ":runner:" + kWorkspace +
      ":/bin/bash\n"
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  const std::string group = "root:x:0:\nrunner:x:" + pod_id + ":\nnogroup:x:65534:\n";
  const std::string hosts =
      "127.0.0.1\tlocalhost " + config.hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  CY_CHECK(WriteNew(etc + "/passwd", passwd, 0644));
  CY_CHECK(WriteNew(etc + "/group", group, 0644));
  CY_CHECK(WriteNew(etc + "/hosts", hosts, 0644));
  CY_CHECK(WriteNew(etc + "/hostname", config.hostname + "\n", 0644));
  return WriteNew(etc + "/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n", 0644);
}

}  // namespace codeyard::local::pod
