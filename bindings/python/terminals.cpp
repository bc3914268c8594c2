// codeyard.Terminals and codeyard.Terminal: a workspace's shared shell, attached as one more
// viewer (the browser's terminals are others), read and written from Python. Reads wait on
// the TerminalHub, which the Terminals service wakes when a viewer has something new.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "codeyard/terminals.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

// Viewer ids of this process's Python terminals; high bit set to keep clear of small ids.
std::atomic<uint64_t> g_next_viewer{uint64_t{1} << 62};

class Terminal {
 public:
  Terminal(std::shared_ptr<Terminals> terminals, std::shared_ptr<TerminalHub> hub,
           std::string workspace_id)
      : terminals_(std::move(terminals)),
        hub_(std::move(hub)),
        workspace_id_(std::move(workspace_id)),
        viewer_(g_next_viewer++) {}
  ~Terminal() { Close(); }

  // Blocks (opens the workspace's pod and shell); without the GIL.
  std::optional<terminal::Close> Attach(const terminal::Hello& hello) {
    return terminals_->Attach(viewer_, workspace_id_, hello);
  }

  // The next output bytes, waiting up to `timeout` seconds (None: until some come or the
  // terminal closes). b"" on timeout and once closed (see .closed).
  py::bytes Read(std::optional<double> timeout) {
    std::string out;
    {
      py::gil_scoped_release release;
      out = ReadLocked(timeout);
    }
    return py::bytes(out);
  }

  void Write(const py::object& data) {
    const std::string message = terminal::Message(terminal::kInput, BytesOf(data));
    SendOrRaise(message);
  }

  void Resize(int cols, int rows) {
    const std::string payload =
        "{\"cols\":" + std::to_string(cols) + ",\"rows\":" + std::to_string(rows) + "}";
    SendOrRaise(terminal::Message(terminal::kResize, payload));
  }

  void HangUp() { SendOrRaise(terminal::Message(terminal::kHangUp, "")); }

  void Close() {
    std::lock_guard lock(mu_);
    if (detached_) return;
    detached_ = true;
    terminals_->Detach(viewer_);
    hub_->Wake();
  }

  bool closed() {
    std::lock_guard lock(mu_);
    return detached_ || close_.has_value();
  }
  std::optional<int> close_code() {
    std::lock_guard lock(mu_);
    return close_ ? std::optional<int>(close_->code) : std::nullopt;
  }
  std::string close_reason() {
    std::lock_guard lock(mu_);
    return close_ ? close_->reason : "";
  }
  const std::string& workspace_id() const { return workspace_id_; }

 private:
  void SendOrRaise(const std::string& message) {
    if (closed()) Raise(Error(Error::Code::kFailedPrecondition, "terminal: closed"));
    if (auto close = terminals_->Receive(viewer_, message)) {
      Raise(Error(Error::Code::kInvalidArgument, "terminal: " + close->reason));
    }
  }

  std::string ReadLocked(std::optional<double> timeout) {
    using Clock = std::chrono::steady_clock;
    const bool bounded = timeout.has_value();
    const Clock::time_point deadline = Clock::now() + (bounded ? Millis(*timeout) : Millis(0));
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard lock(hub_->mu);
        seen = hub_->generation;
      }
      {
        std::lock_guard lock(mu_);
        if (detached_ || close_) return {};
        bool more = false;
        TerminalOut out = terminals_->Next(viewer_, &more);
        if (auto* close = std::get_if<terminal::Close>(&out)) {
          close_ = *close;
          return {};
        }
        if (auto* message = std::get_if<std::string>(&out)) {
          // Output only: the title, status and pong messages are the page's business.
          if (!message->empty() && (*message)[0] == terminal::kOutput) return message->substr(1);
          continue;
        }
      }
      (void)terminals_->TakeReady();
      std::unique_lock lock(hub_->mu);
      const auto moved = [&] { return hub_->generation != seen; };
      if (bounded) {
        if (!hub_->cv.wait_until(lock, deadline, moved)) return {};
      } else {
        hub_->cv.wait(lock, moved);
      }
    }
  }

  std::shared_ptr<Terminals> terminals_;
  std::shared_ptr<TerminalHub> hub_;
  std::string workspace_id_;
  uint64_t viewer_;
  std::mutex mu_;
  bool detached_ = false;
  std::optional<terminal::Close> close_;
};

py::bytes NextChunk(Terminal& t) {
  for (;;) {
    py::bytes chunk = t.Read(std::nullopt);
    if (!std::string(chunk).empty()) return chunk;
    if (t.closed()) throw py::stop_iteration();
  }
}

}  // namespace

void AddTerminals(py::module_& m) {
  py::class_<Terminal, std::shared_ptr<Terminal>>(
      m, "Terminal",
      "A viewer of a workspace's shell: write() types, read() returns output, iterating yields "
      "output chunks until the shell or the viewer closes. Also a context manager.")
      .def("read", &Terminal::Read, py::arg("timeout") = py::none(),
           "The next output bytes, waiting up to timeout seconds (None: until some come); b\"\" "
           "on timeout or once closed.")
      .def("write", &Terminal::Write, py::arg("data"), "Types bytes (or str) into the shell.")
      .def("resize", &Terminal::Resize, py::arg("cols"), py::arg("rows"))
      .def("hangup", &Terminal::HangUp, "Ends the shell (SIGHUP), as closing its tab does.")
      .def("close", &Terminal::Close, "Detaches this viewer; the shell keeps running.")
      .def_property_readonly("closed", &Terminal::closed)
      .def_property_readonly("close_code", &Terminal::close_code,
                             "The close code the terminal sent (1000: the shell exited), or None.")
      .def_property_readonly("close_reason", &Terminal::close_reason)
      .def_property_readonly("workspace_id", &Terminal::workspace_id)
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &NextChunk)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Terminal& t, const py::args&) { t.Close(); })
      .def("__repr__", [](Terminal& t) {
        return "<Terminal workspace_id=" + Quote(t.workspace_id()) +
               (t.closed() ? " closed>" : ">");
      });

  using T = TerminalsService;
  py::class_<T, std::shared_ptr<T>>(m, "Terminals", "The shells of workspaces.")
      .def(
          "attach",
          [](T& t, const std::string& access_token, const std::string& workspace_id, int cols,
             int rows, int number, bool readonly) {
            terminal::Hello hello;
            hello.token = access_token;
            hello.size.cols = static_cast<uint16_t>(cols);
            hello.size.rows = static_cast<uint16_t>(rows);
            hello.terminal = number;
            hello.readonly = readonly;
            auto term = std::make_shared<Terminal>(t.service, t.hub, workspace_id);
            std::optional<terminal::Close> refused;
            {
              py::gil_scoped_release release;
              refused = term->Attach(hello);
            }
            if (refused) {
              term->Close();
              Error::Code code = Error::Code::kUnavailable;
              switch (refused->code) {
                case terminal::kCloseUnauthenticated:
                  code = Error::Code::kUnauthenticated;
                  break;
                case terminal::kCloseNotFound:
                  code = Error::Code::kNotFound;
                  break;
                case terminal::kCloseNotShared:
                  code = Error::Code::kFailedPrecondition;
                  break;
                case terminal::kCloseLimit:
                  code = Error::Code::kResourceExhausted;
                  break;
                case terminal::kClosePolicy:
                  code = Error::Code::kInvalidArgument;
                  break;
                case terminal::kCloseInternal:
                  code = Error::Code::kInternal;
                  break;
                default:
                  break;
              }
              Raise(Error(code, "terminal: " + refused->reason));
            }
            return term;
          },
          py::arg("access_token"), py::arg("workspace_id"), py::arg("cols") = 80,
          py::arg("rows") = 24, py::arg("terminal") = 1, py::arg("readonly") = false,
          "Attaches to the workspace's shell (terminal 1 to terminal.max_per_workspace), "
          "starting its pod and shell if needed. access_token: a Session's; the viewer is "
          "closed once it no longer verifies.");
}

}  // namespace codeyard::python
