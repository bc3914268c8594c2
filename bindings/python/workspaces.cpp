// codeyard.Workspaces (create, list, start, stop, exec, stream) and its result classes:
// Workspace, ExecResult, SyncReport and the ExecStream iterator over a running command.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codeyard/workspaces.hpp"
#include "common.hpp"
#include "owner.hpp"
#include "wrappers.hpp"

namespace codeyard::python {
namespace {

using UserArg = std::optional<std::string>;

ExecSpec SpecOf(std::vector<std::string> argv, const py::object& stdin_data,
                std::optional<double> timeout, std::optional<double> cpu_time,
                std::map<std::string, std::string> env, const std::string& cwd) {
  ExecSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_data = BytesOf(stdin_data);
  spec.env = std::move(env);
  spec.cwd = cwd;
  if (timeout) spec.wall_time_limit = Millis(*timeout);
  if (cpu_time) spec.cpu_time_limit = Millis(*cpu_time);
  return spec;
}

std::string StatusName(const ExitStatus& s) {
  if (s.exit_code) return "exit_code=" + std::to_string(*s.exit_code);
  if (s.signal) return "signal=" + std::to_string(*s.signal);
  return "running";
}

// A command started with Workspaces::Start whose output is read chunk by chunk. Holds the
// Workspaces service (and through it the Platform and executor) for as long as it lives.
class ExecStream {
 public:
  ExecStream(std::shared_ptr<Workspaces> owner, WorkspaceProcess process, ExecSpec spec)
      : owner_(std::move(owner)), process_(std::move(process)), spec_(std::move(spec)) {}
  ~ExecStream() {
    py::gil_scoped_release release;
    Finish();
  }

  // The next (stream, bytes) chunk; StopIteration once the command ended.
  py::tuple Next() {
    if (done_) throw py::stop_iteration();
    auto chunk = [&] {
      py::gil_scoped_release release;
      return process_.process->ReadOutput(std::nullopt);
    }();
    if (!chunk) Raise(chunk.error());
    if (!*chunk) {
      {
        py::gil_scoped_release release;
        Finish();
      }
      if (error_) Raise(*error_);
      throw py::stop_iteration();
    }
    const char* stream = (*chunk)->stream == OutputStream::kStdout ? "stdout" : "stderr";
    return py::make_tuple(stream, py::bytes((*chunk)->data));
  }

  void Write(const py::object& data) {
    const std::string bytes = BytesOf(data);
    Blocking([&] { return process_.process->WriteStdin(bytes); });
  }
  void CloseStdin() {
    Blocking([&] { return process_.process->CloseStdin(); });
  }
  void Kill() {
    Blocking([&] { return process_.process->Signal(9); });
  }

  // Reads what is left, then the exit status and the verdict.
  WorkspaceExec Wait() {
    {
      py::gil_scoped_release release;
      Finish();
    }
    if (error_) Raise(*error_);
    return result_;
  }

 private:
  // Without the GIL.
  void Finish() {
    if (done_) return;
    done_ = true;
    auto status = process_.process->Wait();
    if (!status) {
      error_ = status.error();
    } else {
      result_.status = *status;
      result_.verdict = Classify(*status, spec_);
    }
    process_.process.reset();
    if (process_.finish) {
      auto sync = process_.finish();
      if (sync) result_.sync = std::move(*sync);
      if (!sync && !error_) error_ = sync.error();
    }
  }

  std::shared_ptr<Workspaces> owner_;
  WorkspaceProcess process_;
  ExecSpec spec_;
  bool done_ = false;
  WorkspaceExec result_;
  std::optional<Error> error_;
};

}  // namespace

void AddWorkspaces(py::module_& m) {
  py::class_<Workspace>(m, "Workspace", "A named, persistent set of files that runs in a pod.")
      .def_readonly("id", &Workspace::id)
      .def_readonly("owner_id", &Workspace::owner_id)
      .def_readonly("name", &Workspace::name)
      .def_property_readonly(
          "state", [](const Workspace& w) { return std::string(WorkspaceStateName(w.state)); },
          "\"stopped\", \"starting\", \"running\" or \"stopping\".")
      .def_readonly("total_bytes", &Workspace::total_bytes)
      .def_readonly("entry_count", &Workspace::entry_count)
      .def_readonly("created_at", &Workspace::created_at)
      .def_readonly("updated_at", &Workspace::updated_at)
      .def_readonly("last_active_at", &Workspace::last_active_at)
      .def_readonly("version", &Workspace::version)
      .def_readonly("terminal_shared", &Workspace::terminal_shared)
      .def_readonly("image", &Workspace::image)
      .def("__repr__", [](const Workspace& w) {
        return "<Workspace id=" + Quote(w.id) + " name=" + Quote(w.name) +
               " state=" + Quote(std::string(WorkspaceStateName(w.state))) + ">";
      });

  py::class_<SyncReport>(m, "SyncReport", "What one two-way sync pass did.")
      .def_readonly("pushed", &SyncReport::pushed)
      .def_readonly("pulled", &SyncReport::pulled)
      .def_readonly("deleted_in_pod", &SyncReport::deleted_in_pod)
      .def_readonly("deleted_in_storage", &SyncReport::deleted_in_storage)
      .def_property_readonly("conflicts",
                             [](const SyncReport& r) {
                               std::vector<std::string> paths;
                               for (const SyncConflict& c : r.conflicts) paths.push_back(c.path);
                               return paths;
                             })
      .def_readonly("skipped_total", &SyncReport::skipped_total)
      .def("__repr__", [](const SyncReport& r) {
        return "<SyncReport pushed=" + std::to_string(r.pushed) +
               " pulled=" + std::to_string(r.pulled) + ">";
      });

  py::class_<WorkspaceExec>(m, "ExecResult", "A command run to its end in a workspace.")
      .def_property_readonly("exit_code", [](const WorkspaceExec& r) { return r.status.exit_code; })
      .def_property_readonly("signal", [](const WorkspaceExec& r) { return r.status.signal; })
      .def_property_readonly("stdout",
                             [](const WorkspaceExec& r) { return py::bytes(r.stdout_data); })
      .def_property_readonly("stderr",
                             [](const WorkspaceExec& r) { return py::bytes(r.stderr_data); })
      .def_property_readonly(
          "verdict", [](const WorkspaceExec& r) { return std::string(VerdictName(r.verdict)); },
          "\"ok\", \"runtime_error\", \"time_limit_exceeded\", ...")
      .def_property_readonly("cpu_ms", [](const WorkspaceExec& r) { return r.status.cpu_ms; })
      .def_property_readonly("wall_ms", [](const WorkspaceExec& r) { return r.status.wall_ms; })
      .def_property_readonly("memory_kb", [](const WorkspaceExec& r) { return r.status.memory_kb; })
      .def_property_readonly("output_truncated",
                             [](const WorkspaceExec& r) { return r.status.output_truncated; })
      .def_property_readonly("oom_killed",
                             [](const WorkspaceExec& r) { return r.status.oom_killed; })
      .def_readonly("sync", &WorkspaceExec::sync)
      .def("__repr__", [](const WorkspaceExec& r) {
        return "<ExecResult verdict=" + Quote(std::string(VerdictName(r.verdict))) + " " +
               StatusName(r.status) + " stdout=" + std::to_string(r.stdout_data.size()) +
               "B stderr=" + std::to_string(r.stderr_data.size()) + "B>";
      });

  py::class_<ExecStream>(m, "ExecStream",
                         "A command running in a workspace: iterate for (stream, bytes) chunks "
                         "as they come (stream is \"stdout\" or \"stderr\"), then wait().")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &ExecStream::Next)
      .def("write", &ExecStream::Write, py::arg("data"), "Writes to the command's stdin.")
      .def("close_stdin", &ExecStream::CloseStdin)
      .def("kill", &ExecStream::Kill)
      .def("wait", &ExecStream::Wait,
           "Waits for the end (output not read yet is dropped); returns the ExecResult, whose "
           "stdout and stderr are empty: they came through the iterator.");

  py::class_<SyncSkip>(m, "SyncSkip", "A pod entry a sync pass left unstored.")
      .def_readonly("path", &SyncSkip::path)
      .def_readonly("reason", &SyncSkip::reason, "One line for people.")
      .def_readonly("rule", &SyncSkip::rule,
                    "\"symlink\", \"name\", \"kind\", \"busy\" or a limit key.")
      .def("__repr__", [](const SyncSkip& s) {
        return "<SyncSkip path=" + Quote(s.path) + " rule=" + Quote(s.rule) + ">";
      });
  py::class_<SyncStatus>(m, "SyncStatus", "The last sync pass of a workspace in this process.")
      .def_readonly("last_pass_at", &SyncStatus::last_pass_at, "ms since the epoch; None: none")
      .def_readonly("ok", &SyncStatus::ok)
      .def_readonly("error", &SyncStatus::error)
      .def_readonly("skipped", &SyncStatus::skipped)
      .def_readonly("skipped_total", &SyncStatus::skipped_total)
      .def_readonly("unstored", &SyncStatus::unstored,
                    "Pod files storage does not hold; a stop refuses while any.")
      .def("__repr__", [](const SyncStatus& s) {
        return std::string("<SyncStatus ok=") + (s.ok ? "True" : "False") +
               " skipped_total=" + std::to_string(s.skipped_total) + ">";
      });

  using W = WorkspacesService;
  py::class_<W, std::shared_ptr<W>>(m, "Workspaces",
                                    "Workspaces of users. Calls that name a workspace act as "
                                    "its owner unless user_id= names another user (who then "
                                    "gets NotFound, as for a missing id).")
      .def(
          "create",
          [](W& w, const std::string& user_id, const std::string& name, const std::string& image) {
            return Blocking([&] { return w.service->Create(user_id, name, image); });
          },
          py::arg("user_id"), py::arg("name"), py::arg("image") = "",
          "Creates a workspace of the user; AlreadyExists when the name is taken.")
      .def(
          "list",
          [](W& w, const std::string& user_id) {
            return Blocking([&] { return w.service->List(user_id); });
          },
          py::arg("user_id"), "Every workspace of the user, oldest first.")
      .def(
          "get",
          [](W& w, const std::string& id, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->Get(user, id); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none())
      .def(
          "rename",
          [](W& w, const std::string& id, const std::string& name, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->Rename(user, id, name); });
          },
          py::arg("workspace_id"), py::arg("name"), py::kw_only(), py::arg("user_id") = py::none())
      .def(
          "set_terminal_shared",
          [](W& w, const std::string& id, bool shared, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->SetTerminalShared(user, id, shared); });
          },
          py::arg("workspace_id"), py::arg("shared"), py::kw_only(),
          py::arg("user_id") = py::none(),
          "Shares the terminal read-only with the reviewer of an open review.")
      .def(
          "delete",
          [](W& w, const std::string& id, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            Blocking([&] { return w.service->Delete(user, id); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none(),
          "Stops the pod and removes the workspace with its files.")
      .def(
          "start",
          [](W& w, const std::string& id, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->Open(user, id); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none(),
          "Makes sure the workspace's pod runs.")
      .def(
          "stop",
          [](W& w, const std::string& id, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            Blocking([&] { return w.service->Stop(user, id); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none(),
          "Final sync, then the pod is deleted.")
      .def(
          "sync",
          [](W& w, const std::string& id, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->Sync(user, id); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none())
      .def(
          "sync_status",
          [](W& w, const std::string& id, const UserArg& user_id) {
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->GetSyncStatus(user, id); });
          },
          py::arg("workspace_id"), py::kw_only(), py::arg("user_id") = py::none(),
          "The workspace's last sync pass in this process (py19b).")
      .def(
          "exec",
          [](W& w, const std::string& id, std::vector<std::string> argv,
             const py::object& stdin_data, std::optional<double> timeout,
             std::optional<double> cpu_time, std::map<std::string, std::string> env,
             const std::string& cwd, const UserArg& user_id) {
            const ExecSpec spec =
                SpecOf(std::move(argv), stdin_data, timeout, cpu_time, std::move(env), cwd);
            const std::string user = ActingUser(*w.platform, id, user_id);
            return Blocking([&] { return w.service->Exec(user, id, spec); });
          },
          py::arg("workspace_id"), py::arg("argv"), py::arg("stdin") = py::bytes(),
          py::arg("timeout") = py::none(), py::arg("cpu_time") = py::none(),
          py::arg("env") = std::map<std::string, std::string>{}, py::arg("cwd") = "/workspace",
          py::kw_only(), py::arg("user_id") = py::none(),
          "Runs argv in the workspace (starting its pod if needed) to its end and syncs the "
          "files both ways. timeout: wall seconds; cpu_time: CPU seconds.")
      .def(
          "stream",
          [](W& w, const std::string& id, std::vector<std::string> argv,
             const py::object& stdin_data, std::optional<double> timeout,
             std::optional<double> cpu_time, std::map<std::string, std::string> env,
             const std::string& cwd, bool stdin_open, const UserArg& user_id) {
            ExecSpec spec =
                SpecOf(std::move(argv), stdin_data, timeout, cpu_time, std::move(env), cwd);
            spec.stdin_open = stdin_open;
            const std::string user = ActingUser(*w.platform, id, user_id);
            WorkspaceProcess process = Blocking([&] { return w.service->Start(user, id, spec); });
            return std::make_unique<ExecStream>(w.service, std::move(process), std::move(spec));
          },
          py::arg("workspace_id"), py::arg("argv"), py::arg("stdin") = py::bytes(),
          py::arg("timeout") = py::none(), py::arg("cpu_time") = py::none(),
          py::arg("env") = std::map<std::string, std::string>{}, py::arg("cwd") = "/workspace",
          py::arg("stdin_open") = false, py::kw_only(), py::arg("user_id") = py::none(),
          "Starts argv and returns an ExecStream whose iterator yields its output as it comes "
          "(for long outputs).");
}

}  // namespace codeyard::python
