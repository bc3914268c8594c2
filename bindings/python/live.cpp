// What a workspace does while it runs, from Python: codeyard.Events (subscribe to the changes
// a user may read, as an iterator with a cursor to resume from), codeyard.LanguageServers
// (a language server in the pod, JSON-RPC messages in and out) and codeyard.Ports (a byte
// stream or one HTTP exchange with a program listening in the pod, preview tickets). Each
// waits on a condition variable of its own that the library's thread notifies; every wait
// releases the GIL.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codeyard/services.hpp"
#include "common.hpp"
#include "owner.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

using UserArg = std::optional<std::string>;
using Clock = std::chrono::steady_clock;

py::object JsonLoads(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

// Waits on `cv` until `ready` or the deadline (none: forever), without the GIL.
template <class Ready>
bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
             std::optional<double> timeout, Ready ready) {
  if (!timeout) {
    cv.wait(lock, ready);
    return true;
  }
  return cv.wait_until(lock, Clock::now() + Millis(*timeout), ready);
}

// A wake target shared with the library's threads (which may outlive the Python object).
struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t generation = 0;
  void Notify() {
    {
      std::lock_guard lock(mu);
      ++generation;
    }
    cv.notify_all();
  }
};

class Subscription {
 public:
  Subscription(std::shared_ptr<Events> events, std::shared_ptr<Signal> signal,
               std::shared_ptr<EventSubscription> sub)
      : events_(std::move(events)), signal_(std::move(signal)), sub_(std::move(sub)) {
    cursor_ = sub_->start_id();
  }
  ~Subscription() { sub_->Cancel(); }

  // The next event, or nullopt after `timeout` seconds or once closed and drained.
  std::optional<Event> Get(std::optional<double> timeout) {
    py::gil_scoped_release release;
    const auto deadline = Clock::now() + Millis(timeout.value_or(0));
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard lock(signal_->mu);
        seen = signal_->generation;
      }
      std::vector<Event> got = sub_->Take(1);
      if (!got.empty()) {
        cursor_ = got.front().id;
        return std::move(got.front());
      }
      if (cancelled_ || sub_->closed()) return std::nullopt;
      std::unique_lock lock(signal_->mu);
      const auto moved = [&] { return signal_->generation != seen; };
      if (!timeout) {
        signal_->cv.wait(lock, moved);
      } else if (!signal_->cv.wait_until(lock, deadline, moved)) {
        return std::nullopt;
      }
    }
  }

  int64_t cursor() const { return cursor_; }
  // Cancelled here reads as closed too (Cancel itself sets nothing the subscription reports).
  std::optional<Error> closed() const {
    if (cancelled_) return Error(Error::Code::kFailedPrecondition, "events: subscription closed");
    return sub_->closed();
  }
  void Cancel() {
    cancelled_ = true;
    sub_->Cancel();
    signal_->Notify();
  }

 private:
  std::shared_ptr<Events> events_;  // the poller outlives the subscription
  std::shared_ptr<Signal> signal_;
  std::shared_ptr<EventSubscription> sub_;
  int64_t cursor_ = 0;
  std::atomic<bool> cancelled_{false};
};

// The messages a language server sent, queued by its driver thread.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> messages;
  std::optional<Error> ended;
};

class LanguageServer {
 public:
  LanguageServer(std::shared_ptr<LanguageServers> owner, std::shared_ptr<Inbox> inbox,
                 std::unique_ptr<LanguageServerSession> session)
      : owner_(std::move(owner)), inbox_(std::move(inbox)), session_(std::move(session)) {}
  ~LanguageServer() {
    py::gil_scoped_release release;
    session_.reset();  // kills the program and joins its driver
  }

  void Send(const py::object& message) {
    std::string text = py::isinstance<py::str>(message)
                           ? message.cast<std::string>()
                           : py::module_::import("json").attr("dumps")(message).cast<std::string>();
    Blocking([&] { return session_->Send(std::move(text)); });
  }

  py::object Receive(std::optional<double> timeout) {
    std::optional<std::string> message;
    {
      py::gil_scoped_release release;
      std::unique_lock lock(inbox_->mu);
      WaitFor(inbox_->cv, lock, timeout,
              [&] { return !inbox_->messages.empty() || inbox_->ended.has_value(); });
      if (!inbox_->messages.empty()) {
        message = std::move(inbox_->messages.front());
        inbox_->messages.pop_front();
      }
    }
    if (!message) return py::none();
    return JsonLoads(*message);
  }

  void Close() {
    py::gil_scoped_release release;
    session_->Close();
  }
  bool closed() {
    std::lock_guard lock(inbox_->mu);
    return inbox_->ended.has_value() && inbox_->messages.empty();
  }
  std::string end_reason() {
    std::lock_guard lock(inbox_->mu);
    return inbox_->ended ? inbox_->ended->message() : "";
  }

 private:
  std::shared_ptr<LanguageServers> owner_;
  std::shared_ptr<Inbox> inbox_;
  std::unique_ptr<LanguageServerSession> session_;
};

class Stream {
 public:
  Stream(std::shared_ptr<PortRelay> owner, std::unique_ptr<PortStream> stream)
      : owner_(std::move(owner)), stream_(std::move(stream)) {}
  ~Stream() { stream_->Shutdown(); }

  py::bytes Read(std::size_t max, std::optional<double> timeout) {
    std::optional<std::chrono::milliseconds> t;
    if (timeout) t = Millis(*timeout);
    return py::bytes(Blocking([&] { return stream_->Read(max, t); }));
  }
  void Write(const py::object& data, std::optional<double> timeout) {
    const std::string bytes = BytesOf(data);
    std::optional<std::chrono::milliseconds> t;
    if (timeout) t = Millis(*timeout);
    Blocking([&] { return stream_->Write(bytes, t); });
  }
  void CloseWrite() {
    Blocking([&] { return stream_->CloseWrite(); });
  }
  void Close() { stream_->Shutdown(); }

 private:
  std::shared_ptr<PortRelay> owner_;
  std::unique_ptr<PortStream> stream_;
};

uint16_t PortOf(int port) { return Unwrap(PortRelay::ParsePort(std::to_string(port))); }

py::dict HeadersOf(const HeaderFields& fields) {
  py::dict out;
  for (const auto& [name, value] : fields) out[py::str(name)] = value;
  return out;
}

void AddEvents(py::module_& m) {
  py::class_<Event>(m, "Event", "A change a page shows: a workspace's state, a file, ...")
      .def_readonly("id", &Event::id, "Resume after it with subscribe(after=id).")
      .def_readonly("type", &Event::type, "\"workspace.state\", \"file.created\", ...")
      .def_readonly("workspace_id", &Event::workspace_id)
      .def_readonly("owner_id", &Event::owner_id)
      .def_readonly("at", &Event::at, "ms since the epoch")
      .def_property_readonly(
          "data", [](const Event& e) { return JsonLoads(e.data); }, "The type's own fields.")
      .def_property_readonly(
          "json", [](const Event& e) { return EventJson(e); }, "As the events WebSocket sends it.")
      .def("__repr__", [](const Event& e) {
        return "<Event id=" + std::to_string(e.id) + " type=" + Quote(e.type) + ">";
      });

  py::class_<Subscription, std::shared_ptr<Subscription>>(
      m, "EventSubscription",
      "The events a user may read, oldest first: get() or iterate (the iterator ends when the "
      "subscription closes). .cursor is the id to resume from with subscribe(after=...).")
      .def("get", &Subscription::Get, py::arg("timeout") = py::none(),
           "The next Event, or None after timeout seconds or once closed.")
      .def_property_readonly("cursor", &Subscription::cursor,
                             "The last event's id (before any: where the subscription started).")
      .def_property_readonly("closed", [](const Subscription& s) { return s.closed().has_value(); })
      .def_property_readonly(
          "close_reason",
          [](const Subscription& s) {
            auto e = s.closed();
            return e ? std::optional<std::string>(e->message()) : std::nullopt;
          },
          "Why it closed (fell behind events.queue_limit, `after` no longer kept, shutdown).")
      .def("close", &Subscription::Cancel)
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](Subscription& s) {
             for (;;) {
               auto event = s.Get(std::nullopt);
               if (event) return std::move(*event);
               if (s.closed()) throw py::stop_iteration();
             }
           })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Subscription& s, const py::args&) { s.Cancel(); });

  py::class_<EventsService, std::shared_ptr<EventsService>>(
      m, "Events", "Changes pushed, not polled (events.poll_interval_ms).")
      .def(
          "subscribe",
          [](EventsService& e, const std::string& user_id, std::optional<int64_t> after) {
            auto signal = std::make_shared<Signal>();
            std::weak_ptr<Signal> weak = signal;
            auto sub = Blocking([&] {
              return e.service->Subscribe(user_id, after, [weak] {
                if (auto s = weak.lock()) s->Notify();
              });
            });
            return std::make_shared<Subscription>(e.service, signal, std::move(sub));
          },
          py::arg("user_id"), py::arg("after") = py::none(),
          "Live from now, or the stored events after the event id `after` first (no gap, no "
          "duplicate); a subscription whose `after` is no longer kept closes at once.");
}

void AddLanguageServers(py::module_& m) {
  py::class_<LanguageServer, std::shared_ptr<LanguageServer>>(
      m, "LanguageServer",
      "A language server (pylsp, clangd) in a workspace's pod: send() JSON-RPC messages (dicts "
      "or JSON text), receive() them as dicts; iterating ends when the server does.")
      .def("send", &LanguageServer::Send, py::arg("message"))
      .def("receive", &LanguageServer::Receive, py::arg("timeout") = py::none(),
           "The next message as a dict; None after timeout seconds or once ended.")
      .def("close", &LanguageServer::Close, "Kills the server.")
      .def_property_readonly("closed", &LanguageServer::closed)
      .def_property_readonly("end_reason", &LanguageServer::end_reason)
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](LanguageServer& s) {
             py::object message = s.Receive(std::nullopt);
             if (message.is_none()) throw py::stop_iteration();
             return message;
           })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](LanguageServer& s, const py::args&) { s.Close(); });

  using L = LanguageServersService;
  py::class_<L, std::shared_ptr<L>>(m, "LanguageServers",
                                    "Language servers in workspaces' pods, one per session. "
                                    "The library keeps no list: a session is the object "
                                    "start() returns, ended by close() or when let go.")
      .def_static(
          "command",
          [](const std::string& language) { return Unwrap(LanguageServerCommand(language)); },
          py::arg("language"), "The server's argv for \"python\", \"c\" or \"cpp\".")
      .def(
          "start",
          [](L& l, const std::string& ws, const std::string& language, const UserArg& user_id) {
            const std::string user = ActingUser(*l.platform, ws, user_id);
            auto inbox = std::make_shared<Inbox>();
            LanguageServerCallbacks callbacks;
            callbacks.on_message = [inbox](std::string message) {
              {
                std::lock_guard lock(inbox->mu);
                inbox->messages.push_back(std::move(message));
              }
              inbox->cv.notify_all();
            };
            callbacks.on_end = [inbox](const Error& why) {
              {
                std::lock_guard lock(inbox->mu);
                inbox->ended = why;
              }
              inbox->cv.notify_all();
            };
            auto session = Blocking(
                [&] { return l.service->Start(user, ws, language, std::move(callbacks)); });
            return std::make_shared<LanguageServer>(l.service, inbox, std::move(session));
          },
          py::arg("workspace_id"), py::arg("language"), py::kw_only(),
          py::arg("user_id") = py::none(),
          "Starts the language's server in the running workspace (FailedPrecondition when it "
          "is not running; NotFound when the pod lacks the program).");
}

void AddPorts(py::module_& m) {
  py::class_<Stream, std::shared_ptr<Stream>>(m, "PortStream",
                                              "A byte stream to a port on the pod's own loopback.")
      .def("read", &Stream::Read, py::arg("max") = 65536, py::arg("timeout") = py::none(),
           "Up to max bytes as they come; b\"\" at the end; DeadlineExceeded on timeout.")
      .def("write", &Stream::Write, py::arg("data"), py::arg("timeout") = py::none())
      .def("close_write", &Stream::CloseWrite, "Ends this side's writing; reading goes on.")
      .def("close", &Stream::Close)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Stream& s, const py::args&) { s.Close(); });

  py::class_<RelayResponse>(m, "HttpResponse", "A program's whole answer to one request.")
      .def_readonly("status", &RelayResponse::status)
      .def_property_readonly("headers", [](const RelayResponse& r) { return HeadersOf(r.headers); })
      .def_property_readonly("body", [](const RelayResponse& r) { return py::bytes(r.body); })
      .def("__repr__", [](const RelayResponse& r) {
        return "<HttpResponse status=" + std::to_string(r.status) +
               " body=" + std::to_string(r.body.size()) + "B>";
      });
  py::class_<PreviewTicket>(m, "PreviewTicket", "A short-lived capability for one port.")
      .def_readonly("token", &PreviewTicket::token)
      .def_readonly("expires_at", &PreviewTicket::expires_unix_ms, "ms since the epoch")
      .def_readonly("prefix", &PreviewTicket::prefix)
      .def_readonly("url", &PreviewTicket::url, "\"/api/v1/previews/<token>/\"");
  py::class_<PreviewGrant>(m, "PreviewGrant", "What a valid preview ticket lets in.")
      .def_readonly("user_id", &PreviewGrant::user_id)
      .def_readonly("workspace_id", &PreviewGrant::workspace_id)
      .def_readonly("port", &PreviewGrant::port);

  using P = PortsService;
  py::class_<P, std::shared_ptr<P>>(
      m, "Ports",
      "Programs listening in a running workspace's pod, reached as kubectl port-forward does "
      "(the pod has no network). The library cannot list listening ports.")
      .def(
          "connect",
          [](P& p, const std::string& ws, int port, const UserArg& user_id) {
            const uint16_t number = PortOf(port);
            const std::string user = ActingUser(*p.platform, ws, user_id);
            auto stream = Blocking([&] { return p.service->Connect(user, ws, number); });
            return std::make_shared<Stream>(p.service, std::move(stream));
          },
          py::arg("workspace_id"), py::arg("port"), py::kw_only(), py::arg("user_id") = py::none(),
          "A byte stream to the port; Unavailable when the workspace is not running or nothing "
          "listens there.")
      .def(
          "request",
          [](P& p, const std::string& ws, int port, const std::string& method,
             const std::string& target, const std::map<std::string, std::string>& headers,
             const py::object& body, const UserArg& user_id) {
            const uint16_t number = PortOf(port);
            RelayRequest request;
            request.method = method;
            request.target = target;
            for (const auto& [name, value] : headers) request.headers.emplace_back(name, value);
            request.body = BytesOf(body);
            const std::string user = ActingUser(*p.platform, ws, user_id);
            return Blocking([&] { return p.service->Forward(user, ws, number, request); });
          },
          py::arg("workspace_id"), py::arg("port"), py::arg("method") = "GET",
          py::arg("target") = "/", py::arg("headers") = std::map<std::string, std::string>{},
          py::arg("body") = py::bytes(), py::kw_only(), py::arg("user_id") = py::none(),
          "One HTTP request and the whole response (relay.max_response_bytes, "
          "relay.timeout_s), as the preview relays it.")
      .def(
          "preview",
          [](P& p, const std::string& access_token, const std::string& ws, int port) {
            const uint16_t number = PortOf(port);
            return Blocking([&]() -> Result<PreviewTicket> {
              auto claims = p.accounts->VerifyAccessToken(access_token);
              if (!claims) return Fail(claims.error());
              return p.service->IssuePreview(claims->user_id, claims->session_id, ws, number);
            });
          },
          py::arg("access_token"), py::arg("workspace_id"), py::arg("port"),
          "A preview ticket for the token's user (relay.preview_ttl_s; ends with the login).")
      .def(
          "open_preview",
          [](P& p, const std::string& token) {
            return Blocking([&] { return p.service->OpenPreview(token); });
          },
          py::arg("token"), "What a ticket lets in; Unauthenticated when it does not verify.");
}

}  // namespace

void AddLive(py::module_& m) {
  AddEvents(m);
  AddLanguageServers(m);
  AddPorts(m);
}

}  // namespace codeyard::python
