// codeyard.Terminals and codeyard.Terminal: a workspace's shared shell, attached as one more
// viewer (the browser's terminals are others), read and written from Python. Reads wait on
// the TerminalHub, which the Terminals service wakes when a viewer has something new.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "codeyard/terminals.hpp"
#include "common.hpp"
#include "hub_client.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

// Viewer ids of this process's Python terminals; high bit set to keep clear of small ids.
std::atomic<uint64_t> g_next_viewer{uint64_t{1} << 62};

class Terminal : public HubClient<Terminals> {
 public:
  Terminal(std::shared_ptr<Terminals> terminals, std::shared_ptr<TerminalHub> hub,
           std::string workspace_id)
      : HubClient(std::move(terminals), std::move(hub), g_next_viewer++, "terminal"),
        workspace_id_(std::move(workspace_id)) {}

  // Blocks (opens the workspace's pod and shell); without the GIL.
  std::optional<terminal::Close> Attach(const terminal::Hello& hello) {
    return service().Attach(id(), workspace_id_, hello);
  }

  // The next output bytes, waiting up to `timeout` seconds (None: until some come or the
  // terminal closes). b"" on timeout and once closed (see .closed). The title, status and
  // pong messages are the page's business: passed over.
  py::bytes Read(std::optional<double> timeout) {
    std::string out;
    {
      py::gil_scoped_release release;
      const auto deadline = DeadlineOf(timeout);
      while (auto message = NextMessage(deadline)) {
        if ((*message)[0] == terminal::kOutput) {
          out = message->substr(1);
          break;
        }
      }
    }
    return py::bytes(out);
  }

  void Write(const py::object& data) { Send(terminal::Message(terminal::kInput, BytesOf(data))); }

  void Resize(int cols, int rows) {
    const std::string payload =
        "{\"cols\":" + std::to_string(cols) + ",\"rows\":" + std::to_string(rows) + "}";
    Send(terminal::Message(terminal::kResize, payload));
  }

  void HangUp() { Send(terminal::Message(terminal::kHangUp, "")); }

  const std::string& workspace_id() const { return workspace_id_; }

 private:
  std::string workspace_id_;
};

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
      .def("__next__", &NextChunk<Terminal>)
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
              Raise(Error(CodeOfClose(refused->code), "terminal: " + refused->reason));
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
