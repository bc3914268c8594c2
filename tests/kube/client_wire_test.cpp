// The client against a real loopback HTTP/WebSocket server (client_apiserver.py): REST,
// retries, watch, exec, TLS and token rotation on the wire.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "client_fixture.hpp"
#include "codeyard/backend/port_stream.hpp"
#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_exec.hpp"
#include "executor/kubernetes/kube_http.hpp"
#include "executor/kubernetes/kube_watch.hpp"

namespace codeyard::kube {
namespace {

namespace json = boost::json;
using Code = Error::Code;
using std::chrono::milliseconds;

std::shared_ptr<Client> MakeClient(const Config& config) {
  auto client = Client::Create(config);
  REQUIRE(client);
  return *client;
}

ExecOptions Cmd(std::string pod, std::vector<std::string> command, bool tty = false) {
  ExecOptions options;
  options.ns = "ns";
  options.pod = std::move(pod);
  options.command = std::move(command);
  options.tty = tty;
  return options;
}

testing::ServerOptions WithToken(std::string file) {
  testing::ServerOptions options;
  options.token_file = std::move(file);
  return options;
}

testing::ServerOptions WithTls(const testing::TempDir& dir) {
  testing::ServerOptions options;
  options.tls_cert = (dir.path() / "server.pem").string();
  options.tls_key = (dir.path() / "server.key").string();
  return options;
}

Resource Pod(std::string name, std::string ns = "ns") {
  return Resource{"v1", "pods", std::move(ns), std::move(name), ""};
}

json::value Counters(Client& client) {
  auto response = client.Send("GET", Resource{"v1", "counters", "", "", ""}, {}, {}, {});
  REQUIRE(response);
  return json::parse(response->body);
}

// Read exec output until the command ends.
std::pair<std::string, std::string> ReadAll(ExecSession& session) {
  std::string out;
  std::string err;
  for (;;) {
    auto chunk = session.Read(milliseconds(20000));
    REQUIRE(chunk);
    if (!*chunk) return {out, err};
    ((*chunk)->channel == ExecChannel::kStdout ? out : err) += (*chunk)->data;
  }
}

TEST_CASE("REST calls send our headers and map the server's Status", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());

  auto pod = client->Get(Pod("p1"));
  REQUIRE(pod);
  CHECK(pod->at("metadata").at("name").as_string() == "p1");
  const auto log = json::parse(server.Log().back());
  CHECK(log.at("accept").as_string() == "application/json");
  CHECK(log.at("user_agent").as_string().starts_with("codeyard/"));

  auto missing = client->Get(Pod("missing"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK(missing.error().message() ==
        "kubernetes: get pods \"missing\" in ns \"ns\": pods \"missing\" not found");

  const json::value body = {{"metadata", {{"name", "w1"}}}};
  auto created = client->Post(Pod(""), body);
  REQUIRE(created);
  CHECK(created->at("metadata").at("resourceVersion").as_string() == "7");
  auto again = client->Post(Pod(""), body);
  REQUIRE_FALSE(again);
  CHECK(again.error().code() == Code::kAlreadyExists);
  CHECK_THAT(again.error().message(), Catch::StartsWith("kubernetes: create pods in ns \"ns\""));

  auto invalid = client->Post(Pod(""), json::value{{"metadata", {{"name", "Bad_Name"}}}});
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().code() == Code::kInvalidArgument);
  CHECK_THAT(invalid.error().message(), Catch::Contains("field metadata.name"));

  auto forbidden = client->Post(Pod("", "forbidden"), body);
  REQUIRE_FALSE(forbidden);
  CHECK(forbidden.error().code() == Code::kPermissionDenied);
  CHECK_THAT(forbidden.error().message(), Catch::Contains("cannot create resource \"pods\""));
  auto quota = client->Post(Pod("", "quota"), body);
  REQUIRE_FALSE(quota);
  CHECK(quota.error().code() == Code::kResourceExhausted);

  auto patched = client->Patch(Pod("w1"), json::value{{"metadata", {{"labels", {{"a", "b"}}}}}});
  REQUIRE(patched);
  CHECK(patched->at("metadata").at("labels").at("a").as_string() == "b");

  auto conflict = client->Put(Pod("w1"), body);
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code() == Code::kConflict);

  auto deleted = client->Delete(Pod("w1"), json::value{{"gracePeriodSeconds", 1}});
  REQUIRE(deleted);
  CHECK(deleted->at("deleteOptions").at("gracePeriodSeconds").as_int64() == 1);
  CHECK(client->Delete(Pod("w1")).error().code() == Code::kNotFound);
}

TEST_CASE("a large body goes out without waiting for 100-continue", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  // Big enough that libcurl would ask "Expect: 100-continue" and stall on a server that
  // does not answer it.
  const json::value body = {{"metadata", {{"name", "big"}}},
                            {"data", std::string(1536 * 1024, 'b')}};
  REQUIRE(client->Post(Pod(""), body));
  CHECK(json::parse(server.Log().back()).at("expect").as_string() == "");
}

TEST_CASE("a 429 is retried after its Retry-After", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  const auto start = std::chrono::steady_clock::now();
  auto pod = client->Get(Pod("flaky"));
  REQUIRE(pod);
  // Retry-After: 1 is a lower bound on the wait; nothing can make it shorter.
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(1));
  CHECK(Counters(*client).at("flaky").as_int64() == 2);
}

TEST_CASE("5xx is retried until the call's deadline, then kUnavailable", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto down = client->Get(Pod("down"), {}, CallOptions{milliseconds(1500)});
  REQUIRE_FALSE(down);
  CHECK(down.error().code() == Code::kUnavailable);
  CHECK_THAT(down.error().message(), Catch::Contains("attempts"));
  int requests = 0;
  for (const auto& line : server.Log()) requests += line.find("/pods/down") != std::string::npos;
  CHECK(requests >= 2);
  auto html = client->Get(Pod("notjson"), {}, CallOptions{milliseconds(500)});
  REQUIRE_FALSE(html);
  CHECK_THAT(html.error().message(), Catch::Contains("HTTP 502"));
}

TEST_CASE("a server that is not there is kUnavailable", "[kube][wire]") {
  int port = 0;
  {
    testing::ApiServer gone;
    port = gone.port();
  }
  Config config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  auto client = MakeClient(config);
  auto pod = client->Get(Pod("p1"), {}, CallOptions{milliseconds(700)});
  REQUIRE_FALSE(pod);
  CHECK(pod.error().code() == Code::kUnavailable);
}

TEST_CASE("a watch streams events and ends, and an old version is expired", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto watch = client->StartWatch(Pod(""), {}, "5", 5);
  REQUIRE(watch);
  std::vector<std::pair<WatchEvent::Type, std::string>> seen;
  for (;;) {
    auto event = (*watch)->Next(milliseconds(20000));
    REQUIRE(event);
    if (!*event) break;
    seen.emplace_back((*event)->type, (*event)->resource_version);
  }
  CHECK((*watch)->ended());
  using T = WatchEvent::Type;
  CHECK(seen ==
        std::vector<std::pair<T, std::string>>{
            {T::kAdded, "6"}, {T::kModified, "7"}, {T::kBookmark, "8"}, {T::kDeleted, "9"}});
  CHECK_THAT(server.Log().back(), Catch::Contains("allowWatchBookmarks=true") &&
                                      Catch::Contains("resourceVersion=5") &&
                                      Catch::Contains("timeoutSeconds=5"));

  auto old = client->StartWatch(Pod(""), {}, "1", 5);
  REQUIRE(old);
  auto expired = (*old)->Next(milliseconds(20000));
  REQUIRE_FALSE(expired);
  CHECK(IsExpired(expired.error()));
}

TEST_CASE("a watch that outruns its reader loses no event", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto watch = client->StartWatch(Pod(""), {{"labelSelector", "many"}}, "5", 60);
  REQUIRE(watch);
  int next = 0;
  for (;;) {
    auto event = (*watch)->Next(milliseconds(20000));
    REQUIRE(event);
    if (!*event) break;
    REQUIRE((*event)->resource_version == std::to_string(10 + next));
    ++next;
  }
  CHECK(next == 5000);
  CHECK((*watch)->ended());
}

TEST_CASE("Stop ends a watch that is waiting on the server", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto watch = client->StartWatch(Pod(""), {{"labelSelector", "hold"}}, "5", 600);
  REQUIRE(watch);
  for (int i = 0; i < 4; ++i) {
    auto event = (*watch)->Next(milliseconds(20000));
    REQUIRE((event && *event));
  }
  std::thread stopper([&] { (*watch)->Stop(); });
  auto event = (*watch)->Next(milliseconds(60000));
  stopper.join();
  REQUIRE(event);
  CHECK_FALSE(*event);
  watch->reset();  // joins the transfer thread: returns only once curl gave up the stream
}

TEST_CASE("list-then-watch lists again after 410", "[kube][wire]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  int lists = 0;
  std::vector<std::string> events;
  ListWatchHandlers handlers;
  handlers.on_list = [&](const json::value&) { ++lists; };
  handlers.on_event = [&](const WatchEvent& event) { events.push_back(event.resource_version); };
  handlers.keep_going = [&] { return events.size() < 3; };
  REQUIRE(ListWatch(*client, Pod(""), {}, handlers));
  CHECK(lists == 2);  // the first list's version was expired
  CHECK(events == std::vector<std::string>{"6", "7", "9"});
}

TEST_CASE("a rotated token is read again after a 401", "[kube][wire]") {
  testing::TempDir dir;
  dir.Write("server-token", "one");
  dir.Write("client-token", "one");
  testing::ApiServer server(WithToken((dir.path() / "server-token").string()));
  Config config = server.MakeConfig();
  config.token_file = (dir.path() / "client-token").string();
  config.token_reload_interval = std::chrono::hours(1);  // only the 401 may make it look
  auto client = MakeClient(config);
  REQUIRE(client->Get(Pod("p1")));
  dir.Write("server-token", "two");
  dir.Write("client-token", "two\n");
  REQUIRE(client->Get(Pod("p1")));
  CHECK(Counters(*client).at("unauthorized").as_int64() == 1);

  dir.Write("server-token", "three");
  dir.Write("client-token", "three");
  ExecOptions options = Cmd("p1", {"argv"});
  options.container = "workspace";
  auto session = client->Exec(options);
  REQUIRE(session);
  auto [out, err] = ReadAll(**session);
  CHECK(json::parse(out).at("authorization").as_string() == "Bearer three");

  auto wrong = MakeClient([&] {
    Config c = server.MakeConfig();
    c.token = "nope";
    return c;
  }());
  auto refused = wrong->Get(Pod("p1"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == Code::kUnauthenticated);
}

TEST_CASE("TLS is verified against the configured CA", "[kube][wire]") {
  testing::TempDir dir;
  testing::MakeCertificates(dir.path());
  testing::ApiServer server(WithTls(dir));
  Config config = server.MakeConfig(/*tls=*/true);
  config.ca_pem = dir.Read("ca.pem");
  auto client = MakeClient(config);
  REQUIRE(client->Get(Pod("p1")));
  auto session = client->Exec(Cmd("p1", {"argv"}));
  REQUIRE(session);
  auto [out, err] = ReadAll(**session);
  CHECK(json::parse(out).at("protocol").as_string() == "v5.channel.k8s.io");

  Config untrusted = server.MakeConfig(true);
  auto refused = MakeClient(untrusted)->Get(Pod("p1"), {}, CallOptions{milliseconds(5000)});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == Code::kUnavailable);
  CHECK_THAT(refused.error().message(), Catch::Contains("TLS"));
  CHECK_FALSE(MakeClient(untrusted)->Exec(Cmd("p1", {"argv"})));

  untrusted.insecure_skip_tls_verify = true;
  CHECK(MakeClient(untrusted)->Get(Pod("p1")));
}

TEST_CASE("a client certificate from the config is presented", "[kube][wire]") {
  testing::TempDir dir;
  testing::MakeCertificates(dir.path());
  testing::ServerOptions options = WithTls(dir);
  options.client_ca = (dir.path() / "ca.pem").string();
  testing::ApiServer server(options);
  Config config = server.MakeConfig(/*tls=*/true);
  config.ca_pem = dir.Read("ca.pem");
  auto anonymous = MakeClient(config)->Get(Pod("p1"), {}, CallOptions{milliseconds(3000)});
  REQUIRE_FALSE(anonymous);
  CHECK(anonymous.error().code() == Code::kUnavailable);
  config.client_cert_pem = dir.Read("client.pem");
  config.client_key_pem = dir.Read("client.key");
  auto client = MakeClient(config);
  CHECK(client->Get(Pod("p1")));
  auto session = client->Exec(Cmd("p1", {"argv"}));
  REQUIRE(session);
  CHECK_FALSE(ReadAll(**session).first.empty());
}

TEST_CASE("one thread writes an exec's stdin while another reads it, over TLS",
          "[kube][wire][exec]") {
  testing::TempDir dir;
  testing::MakeCertificates(dir.path());
  testing::ApiServer server(WithTls(dir));
  Config config = server.MakeConfig(/*tls=*/true);
  config.ca_pem = dir.Read("ca.pem");
  auto client = MakeClient(config);
  auto stream = client->OpenExecStream("ns", "p1", "workspace", {"cat"});
  REQUIRE(stream);
  std::string sent;
  for (int i = 0; i < 300; ++i) sent += "line " + std::to_string(i) + " " + std::string(i, 'y');
  Result<void> wrote;
  std::thread writer([&] {
    for (std::size_t at = 0; at < sent.size() && wrote; at += 1000) {
      wrote = (*stream)->Write(std::string_view(sent).substr(at, 1000), milliseconds(20000));
    }
    if (wrote) wrote = (*stream)->CloseWrite();
  });
  std::string got;
  Result<std::string> part;
  while ((part = (*stream)->Read(1 << 16, milliseconds(20000))) && !part->empty()) got += *part;
  if (!part) (*stream)->Shutdown();  // so the writer cannot hang before the REQUIRE below
  writer.join();
  REQUIRE(part);
  REQUIRE(wrote);
  CHECK(got == sent);
}

TEST_CASE("exec over v5 echoes stdin, resizes and closes stdin", "[kube][wire][exec]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto session = client->Exec(Cmd("p1", {"cat"}, true));
  REQUIRE(session);
  ExecSession& s = **session;
  CHECK(s.protocol() == "v5.channel.k8s.io");
  CHECK(s.can_close_stdin());
  REQUIRE(s.WriteStdin("hello"));
  auto echo = s.Read(milliseconds(20000));
  REQUIRE((echo && *echo));
  CHECK((*echo)->channel == ExecChannel::kStdout);
  CHECK((*echo)->data == "hello");
  REQUIRE(s.Resize(80, 24));
  auto resized = s.Read(milliseconds(20000));
  REQUIRE((resized && *resized));
  CHECK((*resized)->data == "resize {\"Width\":80,\"Height\":24}\n");
  REQUIRE(s.CloseStdin());
  auto end = s.Read(milliseconds(20000));
  REQUIRE(end);
  CHECK_FALSE(*end);
  REQUIRE(s.exit());
  REQUIRE(*s.exit());
  CHECK((*s.exit())->exit_code == 0);
  CHECK_THAT(server.Log().back(), Catch::Contains("command=cat") && Catch::Contains("tty=true") &&
                                      !Catch::Contains("stderr"));
}

TEST_CASE("exec reports the exit code, stderr, and big and pinged streams", "[kube][wire][exec]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto exit3 = client->Exec(Cmd("p1", {"exit3"}));
  REQUIRE(exit3);
  auto [out, err] = ReadAll(**exit3);
  CHECK(out == "out");
  CHECK(err == "err");
  REQUIRE((*exit3)->exit());
  REQUIRE(*(*exit3)->exit());
  CHECK((*(*exit3)->exit())->exit_code == 3);

  auto big = client->Exec(Cmd("p1", {"big"}));
  REQUIRE(big);
  CHECK(ReadAll(**big).first == std::string(100000, 'x'));

  auto fragments = client->Exec(Cmd("p1", {"fragments"}));
  REQUIRE(fragments);
  auto joined = (*fragments)->Read(milliseconds(20000));
  REQUIRE((joined && *joined));
  CHECK((*joined)->data == "abcd");  // one message from two fragments, the ping answered
  CHECK(ReadAll(**fragments).first == "pong:ping");

  auto ping = client->Exec(Cmd("p1", {"ping"}));
  REQUIRE(ping);
  CHECK(ReadAll(**ping).first == "pong:are you there");
}

TEST_CASE("exec falls back to v4, refuses what the server refuses", "[kube][wire][exec]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto v4 = client->Exec(Cmd("v4pod", {"cat"}));
  REQUIRE(v4);
  CHECK((*v4)->protocol() == "v4.channel.k8s.io");
  auto close = (*v4)->CloseStdin();
  REQUIRE_FALSE(close);
  CHECK(close.error().code() == Code::kUnimplemented);

  auto missing = client->Exec(Cmd("missing", {"cat"}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == Code::kNotFound);
  CHECK_THAT(missing.error().message(), Catch::Contains("pods \"missing\" not found"));

  auto wrong = client->Exec(Cmd("wrongproto", {"cat"}));
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error().message(), Catch::Contains("not offered"));
}

TEST_CASE("an exec read times out, and Interrupt wakes it", "[kube][wire][exec]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto session = client->Exec(Cmd("p1", {"hang"}));
  REQUIRE(session);
  auto quiet = (*session)->Read(milliseconds(100));
  REQUIRE_FALSE(quiet);
  CHECK(quiet.error().code() == Code::kDeadlineExceeded);
  Result<std::optional<ExecChunk>> blocked = std::optional<ExecChunk>();
  std::thread reader([&] { blocked = (*session)->Read(std::nullopt); });
  (*session)->Interrupt();
  reader.join();
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().code() == Code::kAborted);
}

TEST_CASE("a reader pings a quiet peer and gives up on a deaf one", "[kube][wire][exec]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  ExecOptions deaf = Cmd("p1", {"deaf"});
  deaf.ping_interval = milliseconds(100);
  auto dead = client->Exec(deaf);
  REQUIRE(dead);
  auto read = (*dead)->Read(std::nullopt);  // without the keepalive this would never return
  REQUIRE_FALSE(read);
  CHECK(read.error().code() == Code::kUnavailable);
  CHECK_THAT(read.error().message(), Catch::Contains("no ping"));

  // A peer that answers pings stays up through several of them.
  ExecOptions quiet = Cmd("p1", {"cat"});
  quiet.ping_interval = milliseconds(1000);
  auto alive = client->Exec(quiet);
  REQUIRE(alive);
  auto idle = (*alive)->Read(milliseconds(3500));
  REQUIRE_FALSE(idle);
  CHECK(idle.error().code() == Code::kDeadlineExceeded);
  REQUIRE((*alive)->WriteStdin("still here"));
  auto echo = (*alive)->Read(milliseconds(20000));
  REQUIRE((echo && *echo));
  CHECK((*echo)->data == "still here");
}

TEST_CASE("an exec stream is a PortStream over stdin and stdout", "[kube][wire][exec]") {
  testing::ApiServer server;
  auto client = MakeClient(server.MakeConfig());
  auto stream = client->OpenExecStream("ns", "p1", "workspace", {"cat"});
  REQUIRE(stream);
  REQUIRE((*stream)->Write("agent frame", std::nullopt));
  std::string got;
  while (got.size() < 11) {
    auto part = (*stream)->Read(4, milliseconds(20000));  // in pieces of at most 4
    REQUIRE(part);
    REQUIRE_FALSE(part->empty());
    CHECK(part->size() <= 4);
    got += *part;
  }
  CHECK(got == "agent frame");
  REQUIRE((*stream)->CloseWrite());
  auto end = (*stream)->Read(64, milliseconds(20000));
  REQUIRE(end);
  CHECK(end->empty());

  auto argv = client->OpenExecStream("ns", "p1", "workspace", {"argv", "agent"});
  REQUIRE(argv);
  std::string text;
  for (;;) {
    auto part = (*argv)->Read(1 << 16, milliseconds(20000));
    REQUIRE(part);
    if (part->empty()) break;
    text += *part;
  }
  const auto seen = json::parse(text);
  CHECK(seen.at("command") == json::array{"argv", "agent"});
  CHECK(seen.at("query").at("container").as_string() == "workspace");
  CHECK(seen.at("query").at("stdin").as_string() == "true");
  CHECK(seen.at("query").at("stdout").as_string() == "true");
  CHECK_FALSE(seen.at("query").as_object().contains("stderr"));
}

}  // namespace
}  // namespace codeyard::kube
