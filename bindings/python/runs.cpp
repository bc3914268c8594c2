// codeyard.Runs and codeyard.Run: the IDE's interactive Run from Python. A Run is one more
// client of RunSessions (as a browser's Run WebSocket is): start it with a login's access
// token and a file, write its stdin (its terminal), read its output as bytes or iterate over
// it, stop it, and read the verdict from the final status. Reads wait on the TerminalHub,
// which RunSessions wakes (codeyard.open sets the wake). A run lives as long as the login it
// was started with (RunSessions re-checks it every terminal.reauth_interval_s).
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "codeyard/run_session.hpp"
#include "common.hpp"
#include "hub_client.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

std::atomic<uint64_t> g_next_client{uint64_t{3} << 61};

class Run : public HubClient<RunSessions> {
 public:
  Run(std::shared_ptr<RunSessions> runs, std::shared_ptr<TerminalHub> hub)
      : HubClient(std::move(runs), std::move(hub), g_next_client++, "run") {}

  // Without the GIL.
  std::optional<terminal::Close> Start(const std::string& workspace_id,
                                       const run_session::Hello& hello) {
    return service().Start(id(), workspace_id, hello);
  }

  // Output bytes (b"" on timeout or once the run's connection closed); statuses on the way
  // are kept (see status).
  py::bytes Read(std::optional<double> timeout) {
    std::string out;
    std::optional<std::string> status;
    {
      py::gil_scoped_release release;
      out = ReadOutput(DeadlineOf(timeout), &status);
    }
    if (status) Record(*status);
    return py::bytes(out);
  }

  // Reads until the connection closes (or `timeout`); the output not read before.
  py::bytes Wait(std::optional<double> timeout) {
    const auto deadline = Clock::now() + Millis(timeout.value_or(0));
    std::string all;
    while (!closed()) {
      double left = 3600;
      if (timeout) {
        left = std::chrono::duration<double>(deadline - Clock::now()).count();
        if (left <= 0) Raise(Error(Error::Code::kDeadlineExceeded, "run: still running"));
      }
      all += std::string(Read(left));
    }
    return py::bytes(all);
  }

  void Write(const py::object& data) { Send(terminal::Message(terminal::kInput, BytesOf(data))); }
  void Resize(int cols, int rows) {
    Send(terminal::Message(terminal::kResize, "{\"cols\":" + std::to_string(cols) +
                                                  ",\"rows\":" + std::to_string(rows) + "}"));
  }
  void Stop() { Send(terminal::Message(run_session::kStop, "")); }

  py::list statuses() const { return statuses_; }
  py::object last() const {
    if (statuses_.empty()) return py::dict();
    return statuses_[statuses_.size() - 1];
  }
  py::object Field(const char* key) const {
    for (std::size_t i = statuses_.size(); i-- > 0;) {
      auto status = statuses_[i].cast<py::dict>();
      if (status.contains(key)) return status[key];
    }
    return py::none();
  }
  py::object Final(const char* key) const {
    auto status = last().cast<py::dict>();
    if (!status.contains("state") || py::str(status["state"]).cast<std::string>() != "exited") {
      return py::none();
    }
    return status.contains(key) ? py::object(status[key]) : py::none();
  }

 private:
  void Record(const std::string& json) {
    statuses_.append(py::module_::import("json").attr("loads")(json));
  }

  // The next output, or empty with *status set at a status message, or empty past the
  // deadline or once closed.
  std::string ReadOutput(std::optional<Clock::time_point> deadline,
                         std::optional<std::string>* status) {
    while (auto message = NextMessage(deadline)) {
      if ((*message)[0] == terminal::kOutput) return message->substr(1);
      if ((*message)[0] == terminal::kStatus) {
        *status = message->substr(1);
        return {};
      }
    }
    return {};
  }

  py::list statuses_;  // touched with the GIL only
};

std::shared_ptr<Run> StartRun(RunsService& s, const run_session::Hello& hello,
                              const std::string& workspace_id) {
  auto run = std::make_shared<Run>(s.service, s.hub);
  std::optional<terminal::Close> refused;
  {
    py::gil_scoped_release release;
    refused = run->Start(workspace_id, hello);
  }
  if (refused) {
    run->Close();
    Raise(Error(CodeOfClose(refused->code), "run: " + refused->reason));
  }
  return run;
}

}  // namespace

void AddRuns(py::module_& m) {
  py::class_<Run, std::shared_ptr<Run>>(
      m, "Run",
      "An interactive run of one file in its workspace's pod, on a terminal: write() types "
      "into it, read() returns its output, iterating yields output until it ends; statuses "
      "(dicts as the Run WebSocket's) are kept as they come, the last one \"exited\" with the "
      "verdict. Also a context manager (leaving it detaches; the run then stops after "
      "run.reconnect_grace_s).")
      .def("read", &Run::Read, py::arg("timeout") = py::none(),
           "The next output bytes, waiting up to timeout seconds (None: until some come); b\"\" "
           "on timeout, on a status, or once closed.")
      .def("wait", &Run::Wait, py::arg("timeout") = py::none(),
           "Reads until the run ends and returns the output not read before; "
           "DeadlineExceeded after timeout seconds.")
      .def("write", &Run::Write, py::arg("data"), "Types bytes (or str) into the program.")
      .def("resize", &Run::Resize, py::arg("cols"), py::arg("rows"))
      .def("stop", &Run::Stop, "Kills the program's process group (verdict \"stopped\").")
      .def("close", &Run::Close, "Detaches; the run waits run.reconnect_grace_s for a resume.")
      .def_property_readonly("closed", &Run::closed)
      .def_property_readonly("close_code", &Run::close_code,
                             "1000 after the program ended; 4001 when its login ended.")
      .def_property_readonly("close_reason", &Run::close_reason)
      .def_property_readonly("statuses", &Run::statuses, "Every status so far, as dicts.")
      .def_property_readonly(
          "run_id", [](const Run& r) { return r.Field("run_id"); }, "From the first status.")
      .def_property_readonly(
          "state", [](const Run& r) { return r.Field("state"); },
          "\"compiling\", \"running\", \"exited\" (None before the first status).")
      .def_property_readonly(
          "verdict", [](const Run& r) { return r.Final("verdict"); },
          "\"ok\", \"runtime_error\", ..., \"stopped\"; None until the run ended.")
      .def_property_readonly(
          "reason", [](const Run& r) { return r.Final("reason"); },
          "Why a run was stopped: \"stop\", \"replaced\", \"revoked\", ...")
      .def_property_readonly("exit_code", [](const Run& r) { return r.Final("exit_code"); })
      .def_property_readonly("signal", [](const Run& r) { return r.Final("signal"); })
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &NextChunk<Run>)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Run& r, const py::args&) { r.Close(); })
      .def("__repr__", [](Run& r) {
        return "<Run state=" + py::str(r.Field("state")).cast<std::string>() +
               (r.closed() ? " closed>" : ">");
      });

  py::class_<RunsService, std::shared_ptr<RunsService>>(
      m, "Runs", "Interactive runs (the IDE's Run): one per workspace, a new one replaces it.")
      .def(
          "start",
          [](RunsService& s, const std::string& access_token, const std::string& workspace_id,
             const std::string& path, int cols, int rows, const std::string& run_id) {
            run_session::Hello hello;
            hello.token = access_token;
            hello.path = path;
            hello.size.cols = static_cast<uint16_t>(cols);
            hello.size.rows = static_cast<uint16_t>(rows);
            hello.run_id = run_id;
            return StartRun(s, hello, workspace_id);
          },
          py::arg("access_token"), py::arg("workspace_id"), py::arg("path"), py::arg("cols") = 80,
          py::arg("rows") = 24, py::arg("run_id") = "",
          "Runs the workspace's file path as the IDE's Run does (C and C++ compiled first), "
          "starting its pod if needed. Unauthenticated for a bad token, NotFound for another "
          "user's workspace, InvalidArgument for a file no language runs.")
      .def(
          "resume",
          [](RunsService& s, const std::string& access_token, const std::string& workspace_id,
             const std::string& run_id, int64_t seen, int cols, int rows) {
            run_session::Hello hello;
            hello.token = access_token;
            hello.run_id = run_id;
            hello.resume = true;
            hello.seen = static_cast<uint64_t>(seen);
            hello.size.cols = static_cast<uint16_t>(cols);
            hello.size.rows = static_cast<uint16_t>(rows);
            return StartRun(s, hello, workspace_id);
          },
          py::arg("access_token"), py::arg("workspace_id"), py::arg("run_id"), py::arg("seen") = 0,
          py::arg("cols") = 80, py::arg("rows") = 24,
          "Takes over a run whose client went away (within run.reconnect_grace_s): its kept "
          "output and statuses past the first `seen` come first.")
      .def_property_readonly(
          "running", [](RunsService& s) { return s.service->running(); },
          "Runs whose program has not ended, in this process.");
}

}  // namespace codeyard::python
