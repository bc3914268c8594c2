// Sharing a workspace's preview (issue 17): the port relay admits besides the owner whom the
// share policy admits, and Services::Open wires it to the reviews policy that shares the
// terminal (Reviews::AuthorizeTerminalWatch), so the owner's one switch shares both. Over the
// real services on both storage backends; the fake executor's pods forward no ports, so an
// admitted caller gets past the check to the pod (kUnimplemented) and a refused one gets
// kNotFound, as for a workspace not theirs.
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>

#include "codeyard/id.hpp"
#include "codeyard/port_relay.hpp"
#include "codeyard/reviews.hpp"
#include "codeyard/services.hpp"
#include "codeyard/workspaces.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard {
namespace {

using Code = Error::Code;
using testing::Must;

struct PreviewWorld {
  explicit PreviewWorld(std::unique_ptr<testing::TestDatabase> database) : db(std::move(database)) {
    Options o;
    o.storage = db->shared();
    o.executor_uri = "fake:";
    ServiceOptions so;
    so.accounts.secret = std::string(40, 's');
    so.accounts.password_cost = kPasswordCostMinimum;
    so.start_background = false;
    services = Must(Services::Open(o, std::move(so)));
  }

  Session NewUser(const std::string& name, int level = 0) {
    const std::string unique = name + NewUuid().substr(0, 6);
    (void)Must(services->accounts().Register({unique, "correct horse battery", "", {}}));
    Session s = Must(services->accounts().Login(unique, "correct horse battery"));
    if (level > 0) (void)Must(services->reviews().SetReviewerLevel(s.user.id, s.user.id, level));
    return s;
  }

  // What Connect says to `user`: kNotFound when refused; past the check, the fake pod's
  // kUnimplemented (running) or kUnavailable (stopped).
  Code ConnectCode(const Session& user, const std::string& ws) {
    auto stream = services->port_relay().Connect(user.user.id, ws, 8000);
    REQUIRE_FALSE(stream.has_value());
    return stream.error().code();
  }

  // nullopt when a ticket is issued, else why not.
  std::optional<Code> IssueRefusal(const Session& user, const std::string& ws) {
    auto claims = Must(services->accounts().VerifyAccessToken(user.access_token));
    auto ticket = services->port_relay().IssuePreview(user.user.id, claims.session_id, ws, 8000);
    if (ticket) return std::nullopt;
    return ticket.error().code();
  }

  std::unique_ptr<testing::TestDatabase> db;
  std::shared_ptr<Services> services;
};

}  // namespace

TEMPLATE_TEST_CASE("preview sharing: the reviewer the owner shares with reaches the preview",
                   "[relay][reviews]", CODEYARD_STORAGE_BACKENDS) {
  PreviewWorld w(TestType::Create());
  Services& s = *w.services;
  const Session ada = w.NewUser("ada");
  const Session rob = w.NewUser("rob", 1);
  const Session eve = w.NewUser("eve", 4);
  const std::string ws = Must(s.workspaces().Create(ada.user.id, "site")).id;
  const Review review =
      Must(s.reviews().Create(ada.user.id, {ws, "t", "d", ReviewPriority::kNormal, 1}));

  // The owner, stopped then running: past the check both times.
  CHECK(w.ConnectCode(ada, ws) == Code::kUnavailable);
  Must(s.workspaces().Open(ada.user.id, ws));
  CHECK(w.ConnectCode(ada, ws) == Code::kUnimplemented);
  CHECK_FALSE(w.IssueRefusal(ada, ws).has_value());

  // Pending (nobody claimed), then claimed but not shared: nobody else.
  Must(s.workspaces().SetTerminalShared(ada.user.id, ws, true));
  CHECK(w.ConnectCode(rob, ws) == Code::kNotFound);
  Must(s.workspaces().SetTerminalShared(ada.user.id, ws, false));
  Must(s.reviews().Claim(rob.user.id, review.id));
  CHECK(w.ConnectCode(rob, ws) == Code::kNotFound);
  CHECK(w.IssueRefusal(rob, ws) == Code::kNotFound);

  // Shared under an in_review review: the assigned reviewer, and a ticket in their name.
  Must(s.workspaces().SetTerminalShared(ada.user.id, ws, true));
  CHECK(w.ConnectCode(rob, ws) == Code::kUnimplemented);
  auto claims = Must(s.accounts().VerifyAccessToken(rob.access_token));
  auto ticket = Must(s.port_relay().IssuePreview(rob.user.id, claims.session_id, ws, 8000));
  CHECK(Must(s.port_relay().OpenPreview(ticket.token)).user_id == rob.user.id);
  // Another reviewer who is not assigned: the same 404 as a workspace that does not exist.
  const Error refused = s.port_relay().Connect(eve.user.id, ws, 8000).error();
  CHECK(refused.code() == Code::kNotFound);
  CHECK(refused.message() ==
        s.port_relay().Connect(eve.user.id, NewUuid(), 8000).error().message());

  // Unsharing refuses the next connection; sharing again admits again.
  Must(s.workspaces().SetTerminalShared(ada.user.id, ws, false));
  CHECK(w.ConnectCode(rob, ws) == Code::kNotFound);
  Must(s.workspaces().SetTerminalShared(ada.user.id, ws, true));
  CHECK(w.ConnectCode(rob, ws) == Code::kUnimplemented);

  // The review ending refuses the reviewer, ticket or not.
  Must(s.reviews().Decide(rob.user.id, review.id, ReviewDecision::kApprove, ""));
  CHECK(w.ConnectCode(rob, ws) == Code::kNotFound);
  CHECK(w.IssueRefusal(rob, ws) == Code::kNotFound);
  CHECK(Must(s.port_relay().OpenPreview(ticket.token)).user_id == rob.user.id);  // still signed
  CHECK(w.ConnectCode(ada, ws) == Code::kUnimplemented);
  Must(s.workspaces().Stop(ada.user.id, ws));
}

}  // namespace codeyard
