#include "codeyard/terminals.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <thread>

#include "core/terminals/protocol.hpp"
#include "core/terminals/terminal_session.hpp"
#include "core/terminals/terminals_impl.hpp"

namespace codeyard {

TerminalOptions TerminalOptionsFrom(const Config& config) {
  TerminalOptions out;
  out.limits.viewer_queue_bytes = static_cast<std::size_t>(config.terminal_viewer_queue_bytes);
  out.max_viewers_per_terminal = static_cast<std::size_t>(config.terminal_max_viewers_per_terminal);
  out.max_viewers_per_user = static_cast<std::size_t>(config.terminal_max_viewers_per_user);
  out.reauth_interval = std::chrono::seconds(config.terminal_reauth_interval_s);
  out.max_per_workspace = static_cast<int>(config.terminal_max_per_workspace);
  return out;
}

std::string TerminalSessionName(const TerminalOptions& options, int n) {
  return n <= 1 ? options.session_name : options.session_name + "-" + std::to_string(n);
}

namespace {
// The key of a terminal in this object's maps (sessions_, openers_, per_workspace_, a
// viewer's workspace_id): the workspace id for the first, so watchers (who watch the first)
// find it by workspace id; "<id>#<n>" for the others.
std::string TerminalKey(std::string_view workspace_id, int n) {
  return n <= 1 ? std::string(workspace_id) : std::string(workspace_id) + "#" + std::to_string(n);
}
}  // namespace

Terminals::Impl::Impl(Accounts& accounts, Workspaces& workspaces, TerminalOptions options,
                      std::shared_ptr<Logger> logger)
    : accounts_(accounts),
      workspaces_(workspaces),
      options_(std::move(options)),
      logger_(logger ? std::move(logger) : NullLogger()) {
  reauth_.Start(options_.reauth_interval, [this](bool) { ReauthPass(); });
}

// ---- viewer caps ----------------------------------------------------------------------

std::optional<terminal::Close> Terminals::Impl::ReserveLocked(uint64_t viewer,
                                                              const std::string& user_id,
                                                              std::string_view workspace_id,
                                                              const std::string& token) {
  std::size_t& user = per_user_[user_id];
  std::size_t& workspace = per_workspace_[std::string(workspace_id)];
  std::optional<terminal::Close> refused;
  if (workspace >= options_.max_viewers_per_terminal) {
    refused_per_terminal_.fetch_add(1);
    refused = terminal::Close{terminal::kCloseLimit,
                              "this terminal has " + std::to_string(workspace) +
                                  " viewers, the limit (terminal.max_viewers_per_terminal)"};
  } else if (user >= options_.max_viewers_per_user) {
    refused_per_user_.fetch_add(1);
    refused = terminal::Close{terminal::kCloseLimit, "you have " + std::to_string(user) +
                                                         " terminal connections, the limit "
                                                         "(terminal.max_viewers_per_user)"};
  }
  if (refused) {
    if (user == 0) per_user_.erase(user_id);
    if (workspace == 0) per_workspace_.erase(std::string(workspace_id));
    logger_->Info("terminal viewer refused", {{"workspace_id", std::string(workspace_id)},
                                              {"user_id", user_id},
                                              {"reason", refused->reason}});
    return refused;
  }
  ++user;
  ++workspace;
  viewers_[viewer] = ViewerEntry{nullptr, user_id, std::string(workspace_id), token};
  return std::nullopt;
}

bool Terminals::Impl::ReleaseLocked(uint64_t viewer) {
  const auto it = viewers_.find(viewer);
  if (it == viewers_.end()) return false;
  bool last = false;
  if (const auto u = per_user_.find(it->second.user_id); u != per_user_.end() && --u->second == 0) {
    per_user_.erase(u);
  }
  if (const auto w = per_workspace_.find(it->second.workspace_id);
      w != per_workspace_.end() && --w->second == 0) {
    per_workspace_.erase(w);
    openers_.erase(it->second.workspace_id);
    last = true;
  }
  viewers_.erase(it);
  return last;
}

// ---- the token re-check -----------------------------------------------------------------

// A terminal lives as long as the token it was opened with: once Accounts no longer accepts
// that token (revoked by logout, a password change, a disabled or deleted user, or expired),
// the viewer is closed with 4001 and the browser reconnects with a fresh token, finding the
// same shell. Verification may read storage, so it runs on reauth_'s thread, never on the
// service thread.
void Terminals::Impl::ReauthPass() {
  struct Check {
    uint64_t viewer;
    std::shared_ptr<TerminalSession> session;
    std::string token;
    std::string user_id;
    std::string workspace_id;
    bool watcher;
  };
  std::vector<Check> checks;
  {
    std::lock_guard lock(mu_);
    checks.reserve(viewers_.size());
    for (const auto& [id, entry] : viewers_) {
      if (entry.session) {
        checks.push_back(
            {id, entry.session, entry.token, entry.user_id, entry.workspace_id, entry.watcher});
      }
    }
  }
  // Token -> why Accounts refused it (empty when it verified); each token checked once.
  // No optional or structured bindings here: clang-tidy 16's optional-access check crashes.
  std::unordered_map<std::string, std::string> verdicts;
  for (const Check& c : checks) {
    auto it = verdicts.find(c.token);
    if (it == verdicts.end()) {
      auto claims = accounts_.VerifyAccessToken(c.token);
      it = verdicts.emplace(c.token, claims ? std::string() : claims.error().message()).first;
    }
    const std::string& why = it->second;
    if (why.empty()) {
      // A watcher may watch only while the policy still says so (sharing on, review open).
      if (!c.watcher) continue;
      auto may = MayWatch(c.user_id, c.workspace_id);
      if (may) continue;
      logger_->Info("terminal watcher closed: no longer shared",
                    {{"viewer", static_cast<int64_t>(c.viewer)},
                     {"workspace_id", c.workspace_id},
                     {"error", may.error().message()}});
      c.session->CloseViewer(
          c.viewer, {terminal::kCloseNotShared, "this terminal is no longer shared with you"});
      continue;
    }
    reauth_closed_.fetch_add(1);
    logger_->Info("terminal viewer closed: token no longer valid",
                  {{"viewer", static_cast<int64_t>(c.viewer)}, {"error", why}});
    c.session->CloseViewer(c.viewer, {terminal::kCloseUnauthenticated,
                                      "session revoked or expired: reconnect with a fresh token"});
  }
}

void Terminals::Impl::SetWake(std::function<void()> wake) {
  std::lock_guard lock(ready_mu_);
  wake_ = std::move(wake);
}

std::shared_ptr<std::mutex> Terminals::Impl::OpenerLocked(const std::string& workspace_id) {
  auto& o = openers_[workspace_id];
  if (!o) o = std::make_shared<std::mutex>();
  return o;
}

std::vector<uint64_t> Terminals::Impl::TakeReady() {
  std::lock_guard lock(ready_mu_);
  std::vector<uint64_t> out;
  out.swap(ready_);
  return out;
}

void Terminals::Impl::MarkReady(uint64_t viewer) {
  std::lock_guard lock(ready_mu_);
  const bool first = ready_.empty();
  ready_.push_back(viewer);
  if (first && wake_) wake_();  // one wake collects the whole list
}

TerminalSession::Hooks Terminals::Impl::HooksFor(const std::string& workspace_id) {
  struct Activity {
    std::mutex mu;
    std::chrono::steady_clock::time_point last_touch;
    bool after_line = false;  // a line ended since the last input
  };
  auto activity = std::make_shared<Activity>();
  TerminalSession::Hooks hooks;
  hooks.notify = [this](uint64_t viewer) { MarkReady(viewer); };
  // A command's files are on disk by the time it prints its last output or the prompt after
  // it, which may end no line. So once a line has ended (the echo of Enter, before the
  // command even ran) every output asks for a sync until the next input: Workspaces
  // debounces them into one pass per sync_debounce, and typing alone asks for none.
  hooks.on_input = [activity] {
    std::lock_guard lock(activity->mu);
    activity->after_line = false;
  };
  hooks.on_output = [this, workspace_id, activity](std::string_view data) {
    output_bytes_.fetch_add(data.size());
    const bool ends_line = data.find('\n') != std::string_view::npos;
    const auto now = std::chrono::steady_clock::now();
    bool touch = false;
    {
      std::lock_guard lock(activity->mu);
      if (!ends_line && !activity->after_line) return;
      activity->after_line = true;
      if (ends_line && now - activity->last_touch >= options_.touch_every) {
        activity->last_touch = now;
        touch = true;
      }
    }
    workspaces_.SyncSoon(workspace_id);
    if (touch) workspaces_.Touch(workspace_id);
  };
  // Set once the session exists (Start needs the hooks first).
  return hooks;
}

std::optional<terminal::Close> Terminals::Impl::Attach(uint64_t viewer,
                                                       std::string_view workspace_id,
                                                       const terminal::Hello& hello) {
  Reap();
  auto claims = accounts_.VerifyAccessToken(hello.token);
  if (!claims) {
    return terminal::Close{terminal::kCloseUnauthenticated,
                           "authentication failed: " + claims.error().message()};
  }
  if (hello.terminal < 1 || hello.terminal > options_.max_per_workspace) {
    return terminal::Close{terminal::kClosePolicy, "terminal must be from 1 to " +
                                                       std::to_string(options_.max_per_workspace) +
                                                       " (terminal.max_per_workspace)"};
  }
  const std::string key = TerminalKey(workspace_id, hello.terminal);
  {
    std::lock_guard lock(mu_);
    if (closing_) return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
    // The slot is held from here, so concurrent attaches cannot all pass the caps at once.
    if (auto refused = ReserveLocked(viewer, claims->user_id, key, hello.token)) {
      return refused;
    }
  }
  auto release = [&] {
    std::lock_guard lock(mu_);
    (void)ReleaseLocked(viewer);
  };
  auto pod = workspaces_.PodOf(claims->user_id, workspace_id);
  if (!pod) {
    if (pod.error().code() == Error::Code::kNotFound && hello.terminal == 1 &&
        MayWatch(claims->user_id, workspace_id)) {
      return AttachWatcher(viewer, claims->user_id, std::string(workspace_id), hello);
    }
    release();
    if (pod.error().code() == Error::Code::kInvalidArgument) {
      return terminal::Close{terminal::kCloseNotFound, "workspace not found"};
    }
    return terminal::CloseFor(pod.error());
  }
  std::string title(workspace_id);
  if (auto ws = workspaces_.Get(claims->user_id, workspace_id); ws) title = ws->name;

  const std::string id(workspace_id);
  auto going_away = [&] {
    release();
    return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
  };
  // Opening an attachment talks to the pod, so it happens outside mu_ (which the service
  // thread takes for every message), one opener per workspace at a time.
  std::shared_ptr<std::mutex> opener;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      (void)ReleaseLocked(viewer);
      return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
    }
    opener = OpenerLocked(key);
  }
  std::unique_lock open_lock(*opener);
  std::shared_ptr<TerminalSession> session;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      (void)ReleaseLocked(viewer);
      return terminal::Close{terminal::kCloseGoingAway, "the server is shutting down"};
    }
    const auto it = sessions_.find(key);
    if (it != sessions_.end() && !it->second->ended() && it->second->pod_id() == (*pod)->id()) {
      session = it->second;
      viewers_[viewer].session = session;
    }
  }
  bool fresh = false;    // this attach opened the attachment
  bool started = false;  // this attach started the shell
  if (!session) {
    ExecSpec spec;
    spec.argv = options_.shell;
    spec.tty = true;
    spec.tty_size = hello.size;
    spec.stdin_open = true;
    spec.env["PS1"] = "\\w\\$ ";
    spec.env["COLORTERM"] = "truecolor";
    spec.output_limit_bytes = std::numeric_limits<uint64_t>::max();
    spec.kill_on_output_limit = false;
    TerminalSession::Hooks hooks = HooksFor(id);
    // The session is not known yet: on_end finds it by pointer through this cell (a shell
    // that ends before it is set stays in sessions_ as ended, and the next attach replaces it).
    auto self = std::make_shared<std::atomic<const TerminalSession*>>(nullptr);
    hooks.on_end = [this, key, self] { Ended(key, self->load()); };
    auto opened = TerminalSession::Start(*pod, TerminalSessionName(options_, hello.terminal), spec,
                                         options_.limits, std::move(hooks), logger_);
    if (!opened) {
      release();
      logger_->Error("cannot start a terminal",
                     {{"workspace_id", id}, {"error", opened.error().message()}});
      if (opened.error().code() == Error::Code::kFailedPrecondition) {
        // The pod died since PodOf found it (its init killed): the next attach starts a new
        // pod from storage, so this is "try again", not a failure of the shell.
        return terminal::Close{terminal::kCloseTryAgain,
                               "the workspace's pod stopped; it starts again on the next attach: " +
                                   opened.error().message()};
      }
      return terminal::Close{terminal::kCloseInternal, opened.error().message()};
    }
    self->store(opened->get());
    {
      std::lock_guard lock(mu_);
      if (!closing_) {
        auto& slot = sessions_[key];
        if (slot) ended_.push_back(slot);  // ended, or an old shell in a pod that is gone
        slot = *opened;
        session = slot;
        viewers_[viewer].session = session;
      }
    }
    if (!session) {  // Shutdown came while the pod answered: let go of it here
      (*opened)->Stop();
      return going_away();
    }
    fresh = true;
    started = session->started();
    logger_->Info(
        started ? "terminal started" : "terminal attached",
        {{"workspace_id", id}, {"pod", session->pod_id()}, {"detachable", session->detachable()}});
  }
  open_lock.unlock();
  // A new attachment to a shell already running in the pod: its first output is the pod's
  // scrollback, which this viewer should get before the running status.
  if (fresh && !started) session->WaitForOutput(kReplayWait);
  session->AddViewer(viewer, hello.readonly, hello.size, title, started);
  return std::nullopt;
}

void Terminals::Impl::Ended(const std::string& workspace_id, const TerminalSession* session) {
  std::lock_guard lock(mu_);
  for (auto* map : {&sessions_, &watched_}) {
    const auto it = map->find(workspace_id);
    if (it != map->end() && it->second.get() == session) {
      ended_.push_back(it->second);
      map->erase(it);
    }
  }
  logger_->Info("terminal ended", {{"workspace_id", workspace_id}});
}

// Joins the driver threads of shells that ended (their last act was Ended()) and of
// attachments let go. A driver still sending what a leaving viewer typed (a paste into a slow
// shell: LocalSession's destructor) is left for a later Reap or Shutdown, so one terminal's
// goodbye never holds up another's attach.
void Terminals::Impl::Reap() {
  std::vector<std::shared_ptr<TerminalSession>> pending;
  {
    std::lock_guard lock(mu_);
    pending.swap(ended_);
  }
  std::vector<std::shared_ptr<TerminalSession>> later;
  for (const auto& s : pending) {
    s->Release();
    if (s->ended()) {
      s->Stop();
    } else {
      later.push_back(s);
    }
  }
  if (later.empty()) return;
  bool closing = false;
  {
    std::lock_guard lock(mu_);
    closing = closing_;
    if (!closing) ended_.insert(ended_.end(), later.begin(), later.end());
  }
  if (closing) {  // Shutdown took ended_ already: join these here
    for (const auto& s : later) s->Stop();
  }
}

std::shared_ptr<TerminalSession> Terminals::Impl::SessionOf(uint64_t viewer) const {
  std::lock_guard lock(mu_);
  const auto it = viewers_.find(viewer);
  return it == viewers_.end() ? nullptr : it->second.session;
}

std::optional<terminal::Close> Terminals::Impl::Receive(uint64_t viewer, std::string_view message) {
  const auto session = SessionOf(viewer);
  if (!session) return std::nullopt;
  return session->Receive(viewer, message);
}

TerminalOut Terminals::Impl::Next(uint64_t viewer, bool* more) {
  *more = false;
  const auto session = SessionOf(viewer);
  if (!session) return {};
  return session->Next(viewer, more);
}

void Terminals::Impl::Detach(uint64_t viewer) {
  std::shared_ptr<TerminalSession> session;
  std::vector<std::shared_ptr<TerminalSession>> let_go;
  {
    std::lock_guard lock(mu_);
    const auto it = viewers_.find(viewer);
    if (it == viewers_.end()) return;
    session = std::move(it->second.session);
    const std::string workspace_id = it->second.workspace_id;
    // The last viewer here of the workspace: nobody in this process watches its shell, so
    // the attachments to a shell that lives in the pod go (the next viewer attaches again
    // and gets the pod's scrollback). Counted with reservations, so an attach under way
    // keeps them.
    if (ReleaseLocked(viewer)) {
      for (auto* map : {&sessions_, &watched_}) {
        const auto s = map->find(workspace_id);
        if (s != map->end() && s->second->detachable()) {
          ended_.push_back(s->second);  // joined by Reap
          let_go.push_back(s->second);
          map->erase(s);
        }
      }
    }
  }
  if (session) session->RemoveViewer(viewer);
  for (const auto& s : let_go) s->Release();  // never blocks: the service thread may be calling
}

void Terminals::Impl::CloseAll(const terminal::Close& close) {
  std::vector<std::shared_ptr<TerminalSession>> all;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (const auto& [id, v] : viewers_) {
      if (v.session) all.push_back(v.session);
    }
  }
  for (const auto& s : all) s->CloseViewers(close);
}

void Terminals::Impl::Shutdown() {
  reauth_.Stop();
  std::vector<std::shared_ptr<TerminalSession>> all;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto* map : {&sessions_, &watched_}) {
      for (auto& [id, s] : *map) all.push_back(std::move(s));
      map->clear();
    }
    for (auto& s : ended_) all.push_back(std::move(s));
    ended_.clear();
  }
  // Pod sessions are detached, not ended: the shells outlive this process (a restart, a
  // rolling upgrade) and the next attach, from here or another replica, finds them.
  for (const auto& s : all) s->Stop();
}

std::size_t Terminals::Impl::viewers() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [id, v] : viewers_) n += v.session ? 1 : 0;
  return n;
}

std::size_t Terminals::Impl::shells() const {
  std::lock_guard lock(mu_);
  return sessions_.size() + watched_.size();
}

// ---- the public face --------------------------------------------------------------------

Terminals::Terminals(std::shared_ptr<Accounts> accounts, std::shared_ptr<Workspaces> workspaces,
                     TerminalOptions options, std::shared_ptr<Logger> logger)
    : accounts_(std::move(accounts)),
      workspaces_(std::move(workspaces)),
      impl_(std::make_unique<Impl>(*accounts_, *workspaces_, std::move(options),
                                   std::move(logger))) {}

Terminals::~Terminals() { Shutdown(); }

void Terminals::SetWake(std::function<void()> wake) { impl_->SetWake(std::move(wake)); }
std::vector<uint64_t> Terminals::TakeReady() { return impl_->TakeReady(); }
void Terminals::SetWatchPolicy(TerminalWatchPolicy policy) {
  impl_->SetWatchPolicy(std::move(policy));
}

std::optional<terminal::Close> Terminals::Attach(uint64_t viewer, std::string_view workspace_id,
                                                 const terminal::Hello& hello) {
  return impl_->Attach(viewer, workspace_id, hello);
}
std::optional<terminal::Close> Terminals::Receive(uint64_t viewer, std::string_view message) {
  return impl_->Receive(viewer, message);
}
TerminalOut Terminals::Next(uint64_t viewer, bool* more) { return impl_->Next(viewer, more); }
void Terminals::Detach(uint64_t viewer) { impl_->Detach(viewer); }
void Terminals::CloseAll(const terminal::Close& close) { impl_->CloseAll(close); }
void Terminals::Shutdown() { impl_->Shutdown(); }
void Terminals::RecheckLogins() { impl_->RecheckLogins(); }
std::size_t Terminals::viewers() const { return impl_->viewers(); }
std::size_t Terminals::shells() const { return impl_->shells(); }
uint64_t Terminals::output_bytes() const { return impl_->output_bytes_.load(); }
uint64_t Terminals::refused_per_terminal() const { return impl_->refused_per_terminal_.load(); }
uint64_t Terminals::refused_per_user() const { return impl_->refused_per_user_.load(); }
uint64_t Terminals::reauth_closed() const { return impl_->reauth_closed_.load(); }

}  // namespace codeyard
