#include <catch2/catch.hpp>

#include "executor/kubernetes/kube_errors.hpp"
#include "executor/kubernetes/kube_http.hpp"

namespace codeyard::kube {
namespace {

using Code = Error::Code;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Status bodies as the API server writes them (research notes §3, apimachinery errors.go).
TEST_CASE("Status bodies map to the library's codes with what was asked", "[kube][errors]") {
  const auto not_found = ErrorFromStatus(
      404,
      R"js({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})js",
      "get pods \"x\" in ns \"y\"");
  CHECK(not_found.code() == Code::kNotFound);
  CHECK(not_found.message() == "kubernetes: get pods \"x\" in ns \"y\": pods \"x\" not found");

  CHECK(
      ErrorFromStatus(
          409,
          R"js({"kind":"Status","status":"Failure","message":"pods \"x\" already exists","reason":"AlreadyExists","code":409})js",
          "create pods")
          .code() == Code::kAlreadyExists);
  CHECK(
      ErrorFromStatus(
          409,
          R"js({"kind":"Status","status":"Failure","message":"Operation cannot be fulfilled on pods \"x\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409})js",
          "update pods")
          .code() == Code::kConflict);
  CHECK(ErrorFromStatus(401, R"js({"message":"Unauthorized","reason":"Unauthorized","code":401})js",
                        "list pods")
            .code() == Code::kUnauthenticated);

  const auto rbac = ErrorFromStatus(
      403,
      R"js({"kind":"Status","status":"Failure","message":"pods \"x\" is forbidden: User \"system:serviceaccount:ns:sa\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","code":403})js",
      "exec in pods \"x\"");
  CHECK(rbac.code() == Code::kPermissionDenied);
  CHECK_THAT(rbac.message(), Catch::Contains("cannot create resource \"pods/exec\""));
  const auto quota = ErrorFromStatus(
      403,
      R"js({"kind":"Status","status":"Failure","message":"pods \"x\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10","reason":"Forbidden","code":403})js",
      "create pods");
  CHECK(quota.code() == Code::kResourceExhausted);
  CHECK_THAT(quota.message(), Catch::Contains("exceeded quota: compute"));

  const auto invalid = ErrorFromStatus(
      422,
      R"js({"kind":"Status","status":"Failure","message":"Pod \"X\" is invalid: metadata.name: Invalid value: \"X\": a lowercase RFC 1123 subdomain","reason":"Invalid","details":{"name":"X","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"X\"","field":"metadata.name"}]},"code":422})js",
      "create pods in ns \"y\"");
  CHECK(invalid.code() == Code::kInvalidArgument);
  CHECK_THAT(invalid.message(), Catch::EndsWith("(field metadata.name)"));

  const auto expired = ErrorFromStatus(
      410,
      R"js({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (120)","reason":"Expired","code":410})js",
      "watch pods");
  CHECK(IsExpired(expired));
  CHECK_FALSE(IsExpired(not_found));
  CHECK(ErrorFromStatus(429, "{}", "list pods").code() == Code::kUnavailable);
  CHECK(ErrorFromStatus(503, "", "list pods").code() == Code::kUnavailable);
}

TEST_CASE("an answer that is not a Status keeps its HTTP code and start", "[kube][errors]") {
  const auto error = ErrorFromStatus(502, "<html>\nbad gateway</html>", "get pods \"x\"");
  CHECK(error.code() == Code::kUnavailable);
  CHECK(error.message() == "kubernetes: get pods \"x\": HTTP 502: <html> bad gateway</html>");
  CHECK(ErrorFromStatus(418, "", "get pods").code() == Code::kInternal);
}

TEST_CASE("429 and 5xx are retried, 501 and 4xx are not", "[kube][errors]") {
  CHECK(IsRetryableStatus(429));
  CHECK(IsRetryableStatus(500));
  CHECK(IsRetryableStatus(503));
  CHECK(IsRetryableStatus(504));
  CHECK_FALSE(IsRetryableStatus(501));
  CHECK_FALSE(IsRetryableStatus(404));
  CHECK_FALSE(IsRetryableStatus(409));
}

TEST_CASE("backoff doubles up to its cap, jittered over the upper half of the delay",
          "[kube][errors]") {
  const Backoff backoff{milliseconds(100), milliseconds(1000)};
  CHECK(BackoffDelay(backoff, 0, 0.0, std::nullopt) == milliseconds(50));
  CHECK(BackoffDelay(backoff, 0, 0.999999, std::nullopt) == milliseconds(99));
  CHECK(BackoffDelay(backoff, 1, 0.0, std::nullopt) == milliseconds(100));
  CHECK(BackoffDelay(backoff, 2, 0.5, std::nullopt) == milliseconds(300));
  CHECK(BackoffDelay(backoff, 3, 0.0, std::nullopt) == milliseconds(400));
  CHECK(BackoffDelay(backoff, 4, 0.0, std::nullopt) == milliseconds(500));   // capped at 1000
  CHECK(BackoffDelay(backoff, 60, 0.0, std::nullopt) == milliseconds(500));  // no overflow
  // A longer Retry-After wins; a shorter one does not shorten the backoff.
  CHECK(BackoffDelay(backoff, 0, 0.0, seconds(2)) == milliseconds(2000));
  CHECK(BackoffDelay(backoff, 4, 0.0, seconds(0)) == milliseconds(500));
}

TEST_CASE("Retry-After takes whole seconds", "[kube][errors]") {
  CHECK(ParseRetryAfter("3") == seconds(3));
  CHECK(ParseRetryAfter(" 10\r\n") == seconds(10));
  CHECK_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK_FALSE(ParseRetryAfter(""));
  CHECK_FALSE(ParseRetryAfter("-1"));
}

TEST_CASE("resources build API paths and describe themselves", "[kube][errors]") {
  CHECK(Resource{"v1", "pods", "ns", "p", "exec"}.Path() == "/api/v1/namespaces/ns/pods/p/exec");
  CHECK(Resource{"v1", "pods", "ns", "", ""}.Path() == "/api/v1/namespaces/ns/pods");
  CHECK(Resource{"coordination.k8s.io/v1", "leases", "ns", "l", ""}.Path() ==
        "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l");
  CHECK(Resource{"v1", "namespaces", "", "a b", ""}.Path() == "/api/v1/namespaces/a%20b");
  CHECK(Resource{"v1", "pods", "y", "x", ""}.Describe() == "pods \"x\" in ns \"y\"");
}

}  // namespace
}  // namespace codeyard::kube
