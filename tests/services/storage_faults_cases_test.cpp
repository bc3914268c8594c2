// fault21: the storage-faults test's operations past its first list (storage_faults_test.cpp
// has the harness and the first fourteen): every other state-changing call of the services a
// user, an admin or the operator's commands make through storage, and a few reads. Each
// case's `prepare` makes what the call needs with a healthy storage; the returned call is
// the one faulted at every storage call.
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "codeyard/archive.hpp"
#include "codeyard/downloads.hpp"
#include "services/storage_faults.hpp"

namespace codeyard::storage_faults {
namespace {

using testing::Must;

std::string Name(const std::string& prefix, int v) { return prefix + std::to_string(v); }

constexpr std::string_view kPassword = "correct horse";

// A user registered with kPassword (a real hash, so they can log in); returns it.
User Registered(World& w, const std::string& name) {
  return Must(w.accounts->Register({name, std::string(kPassword), "", Role::kUser}));
}

// A user registered and logged in; returns the session.
Session LoggedIn(World& w, const std::string& name) {
  Registered(w, name);
  return Must(w.accounts->Login(name, kPassword));
}

Problem SmallProblem(const std::string& id) {
  Problem p;
  p.id = id;
  p.title = "Echo " + id;
  p.statement_markdown = "Print the input.";
  p.tags.level = 1;
  p.tags.topics = {"io"};
  p.starter_code = {{"python", "print(input())\n"}};
  p.tests = {TestCase{"sample/1", "", "1\n", "1\n", 1, true},
             TestCase{"secret/1", "", "2\n", "2\n", 1, false}};
  return p;
}

// Starting or stopping a workspace's pod is several transactions by design, a pod being made
// or ended between them: the lease is taken (and the workspace marked "starting") before the pod
// is made, and ended after it is gone. A call that fails between them, its release failing too,
// leaves what a replica dying at that point leaves, and these rows are left out of the
// comparison: the lease (pods, the claim_locks counter every claim bumps), which lapses after
// workspace.lease_s and which this replica takes again at once (each case's clean run does);
// the workspace's state column and its workspace.state events; the pod's pod.create/pod.delete
// audit records, written with the lease change they record (an open whose final read fails
// has started its pod for good); the sync's manifest of what the pod holds, replaced whole by
// the next start's seeding; and the usage meter's samples of the pod's CPU counter (usage is
// counted as it is used, best effort, never undone). Every other row, and every other column
// of the workspace, must stay as it was.
std::string PodRows(const std::string& line) {
  for (const char* table :
       {"pods:", "claim_locks:", "sync_manifests:", "pod_cpu:", "usage_daily:", "usage_totals:"}) {
    if (line.starts_with(table)) return "";
  }
  if (line.starts_with("events:") && line.find("workspace.state") != std::string::npos) {
    return "";
  }
  if (line.starts_with("audit_log:") && (line.find("pod.create") != std::string::npos ||
                                         line.find("pod.delete") != std::string::npos)) {
    return "";
  }
  if (!line.starts_with("workspaces:")) return line;
  static const std::regex state("\\b(stopped|starting|running|stopping)\\b");
  return std::regex_replace(line, state, "<state>");
}

// A workspace with a file, of a user of its own (the running-pod and exec limits count per
// user), its pod started when `open`; returns the user and the workspace.
std::pair<std::string, std::string> PodWorkspace(World& w, const std::string& user_name,
                                                 bool open) {
  const std::string user = w.reviews.AddUser(user_name, 0);
  const std::string id = Must(w.workspaces->Create(user, "pod")).id;
  Must(w.reviews.files().Write(user, id, "a.txt", "a\n"));
  if (open) Must(w.workspaces->Open(user, id));
  return {user, id};
}

}  // namespace

void AddAccountCases(World& w, std::vector<Case>& cases) {
  auto& rw = w.reviews;
  const std::string admin = rw.admin;
  auto add = [&](std::string name, auto prepare) { cases.push_back({std::move(name), prepare}); };

  // Sessions: what POST /auth/login, /auth/refresh, /auth/logout and PUT /me/password do.
  add("log in", [&w](int v) {
    Registered(w, Name("login", v));
    return [&w, v] { return Done(w.accounts->Login(Name("login", v), kPassword)); };
  });
  add("refresh a login", [&w](int v) {
    const std::string token = LoggedIn(w, Name("refresh", v)).refresh_token;
    return [&w, token] { return Done(w.accounts->Refresh(token)); };
  });
  add("log out", [&w](int v) {
    const std::string token = LoggedIn(w, Name("logout", v)).refresh_token;
    return [&w, token] { return w.accounts->Logout(token); };
  });
  add("change a password", [&w](int v) {
    const std::string id = LoggedIn(w, Name("passwd", v)).user.id;
    return [&w, id] { return w.accounts->ChangePassword(id, kPassword, "battery staple"); };
  });
  add("set one's own reviewer level", [&rw](int v) {
    return
        [&rw, v] { return Done(rw.reviews().SetReviewerLevel(rw.outsider, rw.outsider, v + 1)); };
  });

  // An admin's calls (/api/v1/admin/...), each audited in its transaction.
  add("admin: disable a user", [&w, admin](int v) {
    const std::string id = LoggedIn(w, Name("disable", v)).user.id;
    return [&w, admin, id] { return Done(w.admin->SetDisabled(admin, id, true)); };
  });
  add("admin: enable a user", [&w, admin](int v) {
    const std::string id = Registered(w, Name("enable", v)).id;
    Must(w.admin->SetDisabled(admin, id, true));
    return [&w, admin, id] { return Done(w.admin->SetDisabled(admin, id, false)); };
  });
  add("admin: change a role", [&w, admin](int v) {
    const std::string id = Registered(w, Name("role", v)).id;
    return [&w, admin, id] { return Done(w.admin->SetRole(admin, id, Role::kAdmin)); };
  });
  add("admin: set a reviewer level", [&w, admin](int v) {
    const std::string id = Registered(w, Name("level", v)).id;
    return [&w, admin, id] { return Done(w.admin->SetReviewerLevel(admin, id, 3)); };
  });
  add("admin: end every login of a user", [&w, admin](int v) {
    const std::string id = LoggedIn(w, Name("force", v)).user.id;
    Must(w.accounts->Login(Name("force", v), kPassword));  // a second login
    return [&w, admin, id] { return Done(w.admin->ForceLogout(admin, id)); };
  });
  cases.push_back({.name = "admin: stop a running workspace",
                   .prepare =
                       [&w, admin](int v) {
                         const std::string id = PodWorkspace(w, Name("halted", v), true).second;
                         return [&w, admin, id] { return w.admin->StopWorkspace(admin, id); };
                       },
                   .normalize = PodRows});
  add("admin: cancel a job", [&w, admin](int) {
    const std::string id = Must(w.jobs->Submit(w.reviews.r4, {Hello()})).ids.at(0);
    return [&w, admin, id] { return Done(w.admin->CancelJob(admin, id)); };
  });
  add("admin: retry a job", [&w, admin](int) {
    const std::string id = Must(w.jobs->Submit(w.reviews.r4, {Hello()})).ids.at(0);
    Must(w.admin->CancelJob(admin, id));
    return [&w, admin, id] { return Done(w.admin->RetryJob(admin, id)); };
  });
  add("admin: a replica's heartbeat", [&w](int) { return [&w] { return w.admin->Heartbeat(); }; });
  add("admin: the audit retention sweep",
      [&w](int) { return [&w] { return Done(w.admin->SweepAudit()); }; });

  // The operator's calls (`codeyard user ...`, `codeyard gc`).
  add("operator: add a user", [&w](int v) {
    return [&w, v] {
      return Done(w.accounts->RegisterAsOperator(
          {Name("op", v), std::string(kPassword), "Op", Role::kAdmin}));
    };
  });
  add("operator: change a role", [&w](int v) {
    const std::string id = Registered(w, Name("oprole", v)).id;
    return [&w, id] { return Done(w.accounts->SetRoleAsOperator(id, Role::kAdmin)); };
  });
  add("operator: set a reviewer level", [&w](int v) {
    const std::string id = Registered(w, Name("oplevel", v)).id;
    return [&w, id] { return Done(w.accounts->SetReviewerLevelAsOperator(id, 2)); };
  });
  add("operator: disable a user", [&w](int v) {
    const std::string id = LoggedIn(w, Name("opdisable", v)).user.id;
    return [&w, id] { return Done(w.accounts->SetDisabledAsOperator(id, true)); };
  });
  add("operator: reset a password", [&w](int v) {
    const std::string id = LoggedIn(w, Name("oppasswd", v)).user.id;
    return [&w, id] { return Done(w.accounts->SetPasswordAsOperator(id, "battery staple")); };
  });
  add("operator: store a problem (the CLI's import)", [&w](int v) {
    return [&w, v] { return Done(w.problems->PutAsOperator(SmallProblem(Name("cli", v)))); };
  });
  add("operator: delete expired tokens", [&w](int v) {
    LoggedIn(w, Name("expired", v));
    w.reviews.clock().Advance(std::chrono::hours(24 * 31));  // past the refresh tokens' lifetime
    return [&w] { return Done(w.accounts->DeleteExpiredTokens()); };
  });
}

void AddContentCases(World& w, std::vector<Case>& cases) {
  auto& rw = w.reviews;
  const std::string author = rw.author;
  const std::string ws = rw.ws;
  auto add = [&](std::string name, auto prepare) { cases.push_back({std::move(name), prepare}); };

  // Workspaces.
  add("rename a workspace", [&w, author](int v) {
    const std::string id = Must(w.workspaces->Create(author, Name("before", v))).id;
    return [&w, author, id, v] { return Done(w.workspaces->Rename(author, id, Name("after", v))); };
  });
  add("share a workspace's terminal", [&w, author](int v) {
    const std::string id = Must(w.workspaces->Create(author, Name("shared", v))).id;
    return [&w, author, id] { return Done(w.workspaces->SetTerminalShared(author, id, true)); };
  });
  add("delete a workspace", [&w, author](int v) {
    const std::string id = Must(w.workspaces->Create(author, Name("doomed", v))).id;
    Must(w.reviews.files().Write(author, id, "a.txt", "a"));
    Must(w.reviews.files().Write(author, id, "src/b.txt", "b"));
    return [&w, author, id] { return w.workspaces->Delete(author, id); };
  });

  // A workspace's pod (see PodRows).
  cases.push_back({.name = "open a workspace (its pod starts)",
                   .prepare =
                       [&w](int v) {
                         const auto [user, id] = PodWorkspace(w, Name("opener", v), false);
                         return [&w, user, id] { return Done(w.workspaces->Open(user, id)); };
                       },
                   .normalize = PodRows});
  cases.push_back({.name = "run a command in a workspace",
                   .prepare =
                       [&w](int v) {
                         const auto [user, id] = PodWorkspace(w, Name("runner", v), true);
                         return [&w, user, id] {
                           ExecSpec spec;
                           spec.argv = {"sh", "-c", "echo made > out.txt"};
                           return Done(w.workspaces->Exec(user, id, spec));
                         };
                       },
                   .normalize = PodRows,
                   .pass = true,
                   // Its last transaction stamps the workspace's activity, best effort (the
                   // idle stop reads it): the command ran and its file is stored.
                   .best_effort = 3});
  cases.push_back({.name = "sync a workspace's pod",
                   .prepare =
                       [&w](int v) {
                         const auto [user, id] = PodWorkspace(w, Name("syncer", v), true);
                         ExecSpec spec;  // changed in the pod directly, as a terminal does
                         spec.argv = {"sh", "-c", "echo typed > typed.txt"};
                         auto process = Must(Must(w.workspaces->PodOf(user, id))->Exec(spec));
                         while (Must(process->ReadOutput(std::nullopt))) {
                         }
                         Must(process->Wait());
                         return [&w, user, id] { return Done(w.workspaces->Sync(user, id)); };
                       },
                   .normalize = PodRows,
                   .pass = true});
  cases.push_back({.name = "stop a running workspace",
                   .prepare =
                       [&w](int v) {
                         const auto [user, id] = PodWorkspace(w, Name("stopper", v), true);
                         return [&w, user, id] { return w.workspaces->Stop(user, id); };
                       },
                   .normalize = PodRows});

  // Files.
  add("delete a file", [&rw, author, ws](int v) {
    const std::string path = Name("del", v) + ".txt";
    Must(rw.files().Write(author, ws, path, "x"));
    return [&rw, author, ws, path] { return rw.files().Delete(author, ws, path); };
  });
  add("make a folder", [&rw, author, ws](int v) {
    return [&rw, author, ws, v] {
      return Done(rw.files().MakeDir(author, ws, Name("dir", v) + "/sub"));
    };
  });
  add("move a folder", [&rw, author, ws](int v) {
    const std::string from = Name("tree", v);
    Must(rw.files().Write(author, ws, from + "/a.txt", "a"));
    Must(rw.files().Write(author, ws, from + "/b/c.txt", "c"));
    return [&rw, author, ws, from] {
      return Done(rw.files().Move(author, ws, from, "moved/" + from));
    };
  });

  add("sign a download link", [&rw, author, ws](int) {
    // A Downloads of its own each time, which reads (the first one: stores) the signing key.
    auto downloads =
        std::make_shared<Downloads>(rw.platform(), std::make_shared<Files>(rw.platform()));
    return [author, ws, downloads] {
      return Done(downloads->Sign(author, "login", ws, "main.py", DownloadKind::kFile));
    };
  });

  // Reviews.
  add("submit a review, assigned at once", [&rw, author, ws](int v) {
    auto assigning = std::make_shared<Reviews>(rw.platform(), ReviewsOptions{true});
    return [author, ws, v, assigning] {
      return Done(assigning->Create(author, {ws, Name("a", v), "d", ReviewPriority::kHigh, 2}));
    };
  });
  add("unclaim a review", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, Name("u", v)).id;
    Must(rw.reviews().Claim(rw.r1, id));
    return [&rw, id] { return Done(rw.reviews().Unclaim(rw.r1, id)); };
  });
  add("withdraw a review", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, Name("w", v)).id;
    return [&rw, id] { return Done(rw.reviews().Withdraw(rw.author, id)); };
  });
  add("resubmit a review", [&rw, author, ws](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, Name("s", v)).id;
    Must(rw.reviews().Claim(rw.r1, id));
    Must(rw.reviews().Decide(rw.r1, id, ReviewDecision::kRequestChanges, "fix it"));
    Must(rw.files().Write(author, ws, "main.py", Name("fixed ", v) + "\n"));
    return [&rw, id] { return Done(rw.reviews().Resubmit(rw.author, id)); };
  });
  add("resolve a review comment", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, Name("c", v)).id;
    Must(rw.reviews().Claim(rw.r1, id));
    NewComment comment;
    comment.path = "main.py";
    comment.start_line = 1;
    comment.body = "why?";
    const std::string cid = Must(rw.reviews().AddComment(rw.r1, id, comment)).id;
    return [&rw, id, cid] { return Done(rw.reviews().SetResolved(rw.author, id, cid, true)); };
  });
  add("mark notifications read", [&rw](int v) {
    const std::string id = rw.Submit(1, ReviewPriority::kNormal, Name("n", v)).id;
    Must(rw.reviews().Claim(rw.r1, id));  // notifies the author
    return [&rw] { return Done(rw.reviews().MarkRead(rw.author, {}, true)); };
  });
  add("collect unreferenced blobs", [&rw, author, ws](int v) {
    Must(rw.files().Write(author, ws, "blob.txt", Name("old blob ", v)));
    Must(rw.files().Write(author, ws, "blob.txt", Name("new blob ", v)));
    return [&rw] { return Done(rw.reviews().CollectBlobs()); };
  });

  // Organizations.
  const auto club = [&w, author, &rw](const std::string& slug) {
    Must(w.orgs->Create(author, "Club " + slug, slug));
    Must(w.orgs->AddMember(author, slug, rw.r2, OrgRole::kMember));
  };
  add("change an organization member's role", [&w, author, club, &rw](int v) {
    const std::string slug = Name("role-", v);
    club(slug);
    return [&w, author, slug, &rw] {
      return Done(w.orgs->SetRole(author, slug, rw.r2, OrgRole::kAdmin));
    };
  });
  add("remove an organization member", [&w, author, club, &rw](int v) {
    const std::string slug = Name("rm-", v);
    club(slug);
    return [&w, author, slug, &rw] { return w.orgs->RemoveMember(author, slug, rw.r2); };
  });
  add("set an organization's quotas", [&w, author, club](int v) {
    const std::string slug = Name("quota-", v);
    club(slug);
    return [&w, author, slug] {
      OrgQuotas org_quotas, member_quotas;
      org_quotas.max_running_workspaces = 5;
      org_quotas.max_jobs_per_day = 100;
      member_quotas.max_stored_bytes = 1 << 20;
      return Done(w.orgs->SetQuotas(author, slug, org_quotas, member_quotas));
    };
  });
  add("rename an organization", [&w, author, club](int v) {
    const std::string slug = Name("old-", v);
    club(slug);
    return [&w, author, slug, v] {
      return Done(w.orgs->Rename(author, slug, Name("New ", v), Name("new-", v)));
    };
  });
  add("delete an organization", [&w, author, club](int v) {
    const std::string slug = Name("del-", v);
    club(slug);
    return [&w, author, slug] { return w.orgs->Delete(author, slug); };
  });
  add("create a workspace in an organization", [&w, author, club](int v) {
    const std::string slug = Name("home-", v);
    club(slug);
    return [&w, author, slug, v] {
      return Done(w.workspaces->Create(author, Name("in-org", v), "", slug));
    };
  });
  add("move a workspace into an organization", [&w, author, club](int v) {
    const std::string slug = Name("to-", v);
    club(slug);
    const std::string id = Must(w.workspaces->Create(author, Name("mover", v))).id;
    Must(w.reviews.files().Write(author, id, "a.txt", "a"));
    return [&w, author, id, slug] { return Done(w.orgs->MoveWorkspace(author, id, slug)); };
  });

  // Settings (PUT /me/settings): the first save inserts, a later one updates.
  add("save settings the first time", [&w](int v) {
    const std::string id = w.reviews.AddUser(Name("fresh-settings", v), 0);
    return [&w, id] {
      SettingsPatch patch;
      patch.theme = "light";
      patch.font_size = 16;
      return Done(w.settings->Update(id, patch));
    };
  });
  add("change settings", [&w](int v) {
    const std::string id = w.reviews.AddUser(Name("settings", v), 0);
    SettingsPatch first;
    first.tab_size = 2;
    Must(w.settings->Update(id, first));
    return [&w, id] {
      SettingsPatch patch;
      patch.autosave = false;
      return Done(w.settings->Update(id, patch));
    };
  });

  // Problems (admin) and submissions.
  const std::string admin = rw.admin;
  add("create a problem", [&w, admin](int v) {
    return [&w, admin, v] { return Done(w.problems->Create(admin, SmallProblem(Name("p", v)))); };
  });
  add("replace a problem", [&w, admin](int v) {
    Must(w.problems->Create(admin, SmallProblem(Name("r", v))));
    return [&w, admin, v] {
      Problem p = SmallProblem(Name("r", v));
      p.title = "Echo, again";
      p.tests.push_back(TestCase{"secret/2", "", "3\n", "3\n", 1, false});
      return Done(w.problems->Put(admin, p));
    };
  });
  add("delete a problem", [&w, admin](int v) {
    Must(w.problems->Create(admin, SmallProblem(Name("d", v))));
    return [&w, admin, v] { return w.problems->Delete(admin, Name("d", v)); };
  });
  add("import a problem package", [&w, admin, author](int v) {
    // The package zipped by the workspace archive: a folder "pkg" of the hello example.
    const std::string id = Must(w.workspaces->Create(author, Name("package", v))).id;
    const std::vector<std::pair<std::string, std::string>> files = {
        {"pkg/problem.yaml", "name: Hello\nlimits:\n  memory: 256\n"},
        {"pkg/problem_statement/problem.en.md", "Print `Hello, World!`.\n"},
        {"pkg/data/sample/1.in", ""},
        {"pkg/data/sample/1.ans", "Hello, World!\n"},
        {"pkg/data/secret/1.in", ""},
        {"pkg/data/secret/1.ans", "Hello, World!\n"}};
    for (const auto& [path, content] : files) {
      Must(w.reviews.files().Write(author, id, path, content));
    }
    const Archives archives(w.reviews.platform(), std::make_shared<Files>(w.reviews.platform()));
    std::string zip;
    Must(archives.Write(Must(archives.Plan(author, id, "pkg")), [&zip](std::string_view bytes) {
      zip += bytes;
      return true;
    }));
    return [&w, admin, v, zip] {
      ProblemImportOptions options;
      options.id = Name("imported", v);
      options.time_limit_s = 1;
      return Done(w.problems->Import(admin, zip, options, PackageCaps{}));
    };
  });
  add("submit a solution", [&w, admin, author](int v) {
    Must(w.problems->Create(admin, SmallProblem(Name("s", v))));
    return [&w, author, v] {
      return Done(w.submissions->Submit(
          author, Name("s", v), "python",
          {FileData{"main.py", FileKind::kFile, "print(input())\n", 0644, std::nullopt}}));
    };
  });
  add("submit a batch of jobs (all or none)", [&w](int) {
    return [&w] { return Done(w.jobs->Submit(w.reviews.outsider, {Hello(), Hello(), Hello()})); };
  });
}

void AddReadCases(World& w, std::vector<Case>& cases) {
  auto& rw = w.reviews;
  const std::string author = rw.author;
  const std::string admin = rw.admin;
  const std::string ws = rw.ws;
  // What the reads read, made once: a review with a comment, a problem, a job.
  const std::string review = rw.Submit(1, ReviewPriority::kNormal, "to read").id;
  Must(rw.reviews().Claim(rw.r1, review));
  NewComment comment;
  comment.body = "hm";
  Must(rw.reviews().AddComment(rw.r1, review, comment));
  Must(w.problems->Create(admin, SmallProblem("readme")));
  const std::string job = Must(w.jobs->Submit(author, {Hello()})).ids.at(0);

  const auto read = [&cases](std::string name, std::function<Result<void>()> op) {
    cases.push_back({"read: " + std::move(name), [op](int) { return op; }});
  };
  read("a workspace", [&w, author, ws] { return Done(w.workspaces->Get(author, ws)); });
  read("the workspaces", [&w, author] { return Done(w.workspaces->List(author, PageRequest{})); });
  read("a file tree", [&rw, author, ws] { return Done(rw.files().Tree(author, ws)); });
  read("a file", [&rw, author, ws] { return Done(rw.files().Read(author, ws, "lib/util.py")); });
  read("a review", [&rw, author, review] { return Done(rw.reviews().Get(author, review)); });
  read("the review queue", [&rw] {
    ReviewListRequest request;
    request.role = ReviewRole::kQueue;
    return Done(rw.reviews().List(rw.r2, request));
  });
  read("a review's diff",
       [&rw, author, review] { return Done(rw.reviews().Diff(author, review, 1, std::nullopt)); });
  read("a review's comments",
       [&rw, author, review] { return Done(rw.reviews().Comments(author, review)); });
  read("a review's history",
       [&rw, author, review] { return Done(rw.reviews().History(author, review)); });
  read("notifications", [&rw, author] { return Done(rw.reviews().Notifications(author)); });
  read("the reviewers", [&rw, author] { return Done(rw.reviews().Reviewers(author)); });
  // r1 belongs to their personal organization only: the list reads each one's usage in
  // queries of its own (some 7 statements an organization).
  read("one's organizations", [&w] { return Done(w.orgs->ListMine(w.reviews.r1)); });
  read("an organization's members", [&w, author] { return Done(w.orgs->Members(author, author)); });
  read("a problem", [&w, author] { return Done(w.problems->Get(author, "readme")); });
  read("the problems",
       [&w, author] { return Done(w.problems->List(author, ProblemListRequest{})); });
  read("a job", [&w, author, job] { return Done(w.jobs->Get(author, job)); });
  read("one's submissions",
       [&w, author] { return Done(w.submissions->List(author, SubmissionListRequest{})); });
  read("one's progress", [&w, author] { return Done(w.submissions->Progress(author)); });
  read("settings", [&w, author] { return Done(w.settings->Get(author)); });
  cases.push_back({"read: an access token's login", [&w](int v) {
                     // Made now: an earlier case moved the clock past older tokens' lifetime.
                     const std::string token = LoggedIn(w, Name("reader", v)).access_token;
                     return [&w, token] { return Done(w.accounts->VerifyAccessToken(token)); };
                   }});
  read("admin: the users", [&w, admin] { return Done(w.admin->ListUsers(admin, UserQuery{})); });
  read("admin: a page of the workspaces", [&w, admin] {
    WorkspaceQuery query;
    query.page.limit = 5;  // each one's owner and pod are read in statements of their own
    return Done(w.admin->ListWorkspaces(admin, query));
  });
  read("admin: the job queue", [&w, admin] { return Done(w.admin->JobStats(admin)); });
  read("admin: the audit log",
       [&w, admin] { return Done(w.admin->Audit(admin, AuditFilter{}, PageRequest{})); });
}

}  // namespace codeyard::storage_faults
