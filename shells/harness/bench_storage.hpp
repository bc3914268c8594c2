// The `storage` benchmark: the same file-item workload run through Codeyard's storage layer
// (repositories over a Storage backend) and through the raw driver (sqlite3 or libpq) on an
// equivalent table, interleaved in small blocks so both see the same machine noise. Each
// side is a Subject; the driver in bench_storage.cpp times every call. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codeyard/error.hpp"
#include "stats.hpp"

namespace codeyard::bench {

// The fixed data set: ids, paths, timestamps and contents are functions of the item index,
// so two runs store exactly the same bytes. Ids and paths are made once, before timing.
class Workload {
 public:
  Workload(int items, std::size_t size);

  [[nodiscard]] int items() const { return items_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] const std::string& user_id() const { return user_id_; }
  [[nodiscard]] const std::string& workspace_id() const { return workspace_id_; }
  [[nodiscard]] const std::string& item_id(int i) const { return ids_[Index(i)]; }
  [[nodiscard]] const std::string& path(int i) const { return paths_[Index(i)]; }
  // created_at / mtime of item i at a version (1: inserted, 2: updated).
  [[nodiscard]] static int64_t Millis(int i, int64_t version);

 private:
  static std::size_t Index(int i) { return static_cast<std::size_t>(i); }

  int items_;
  std::size_t size_;
  std::string user_id_;
  std::string workspace_id_;
  std::vector<std::string> ids_;
  std::vector<std::string> paths_;
};

// The content of one item at one version and its SHA-256, made outside the timed call.
struct Payload {
  std::string content;
  std::string sha256;

  // Deterministic bytes (printable, so they read fine in a database shell).
  void Fill(int item, int64_t version, std::size_t size);
};

// One implementation of the measured operations. Every call is one transaction.
class Subject {
 public:
  Subject() = default;
  Subject(const Subject&) = delete;
  Subject& operator=(const Subject&) = delete;
  virtual ~Subject() = default;

  // What this side is, in a few words, for the report.
  [[nodiscard]] virtual std::string Describe() const = 0;

  // The pid of the server process that runs this side's statements (the PostgreSQL backend
  // of its one connection), for pinning it. kUnimplemented for an in-process database.
  [[nodiscard]] virtual Result<int64_t> ServerProcess() {
    return Fail(Error::Code::kUnimplemented, "no server process");
  }

  // Inserts file item i (version 1) with the payload's content.
  [[nodiscard]] virtual Result<void> Insert(int i, const Payload& payload) = 0;
  // Reads item i with its content in a read transaction; returns the content.
  [[nodiscard]] virtual Result<std::string> Get(int i) = 0;
  // Lists every item of the workspace without content; returns how many.
  [[nodiscard]] virtual Result<std::size_t> List() = 0;
  // Replaces item i's content if its version is `expected`; returns the new version.
  [[nodiscard]] virtual Result<int64_t> Update(int i, const Payload& payload, int64_t expected) = 0;
};

// The raw-driver baselines. Each creates its equivalent tables (baseline_workspaces,
// baseline_items) and the workspace row before returning; nothing of that is timed.
// `path` is a file path or ":memory:"; `conninfo` is a libpq URI (search_path set).
[[nodiscard]] Result<std::unique_ptr<Subject>> OpenSqliteBaseline(const std::string& path,
                                                                  const Workload& workload);
[[nodiscard]] Result<std::unique_ptr<Subject>> OpenPostgresBaseline(const std::string& conninfo,
                                                                    const Workload& workload);

// What one storage URI measured, for the report.
struct PhaseReport {
  std::string name;
  Summary codeyard;
  Summary baseline;
};

struct RunReport {
  std::string backend;  // "sqlite", "postgres"
  std::string location;
  std::string server_version;
  std::string baseline;  // what the baseline is, in a few words
  std::string pinning;   // which processes were pinned to one CPU (cpu_pin.hpp)
  std::vector<PhaseReport> phases;
};

struct StorageBenchOptions {
  std::vector<std::string> storage_uris;
  int items = 2000;
  std::size_t size = 1024;
  bool json = false;
  bool pin = true;  // pin the bench and local server backends to one CPU
};

// Runs every phase against one storage URI and its baseline.
[[nodiscard]] Result<RunReport> RunStorageBench(const std::string& uri,
                                                const StorageBenchOptions& options);

// The human table (one block per run) or one JSON object, on stdout.
void PrintStorageTable(const StorageBenchOptions& options, const MachineLoad& load,
                       const std::vector<RunReport>& runs);
void PrintStorageJson(const StorageBenchOptions& options, const MachineLoad& load,
                      const std::vector<RunReport>& runs);

}  // namespace codeyard::bench
