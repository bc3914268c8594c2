// The SQLite baseline: the same operations as the repositories, written directly against the
// sqlite3 C API the way a careful hand-written program would: one connection, every
// statement (BEGIN and COMMIT too) prepared once and reused, values bound without copies,
// the same pragmas as the backend. The statements are those the repositories run, so the
// database does the same work and the difference is the cost of our layer.
#include <sqlite3.h>

#include <memory>
#include <string>

#include "baseline_schema.hpp"
#include "bench_storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::bench {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

struct DbDeleter {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbDeleter>;

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return p == nullptr
             ? std::string()
             : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

// Reads the current row as the repository does: ten metadata columns, then content if any.
WorkspaceItem ReadItem(sqlite3_stmt* stmt, bool with_content) {
  WorkspaceItem it;
  it.id = ColumnText(stmt, 0);
  it.workspace_id = ColumnText(stmt, 1);
  if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) it.parent_id = ColumnText(stmt, 2);
  it.path = ColumnText(stmt, 3);
  it.kind = ColumnText(stmt, 4) == "dir" ? ItemKind::kDir : ItemKind::kFile;
  it.size = sqlite3_column_int64(stmt, 5);
  it.sha256 = ColumnText(stmt, 6);
  it.version = sqlite3_column_int64(stmt, 7);
  it.mtime = sqlite3_column_int64(stmt, 8);
  it.created_at = sqlite3_column_int64(stmt, 9);
  if (with_content) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, 10));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 10));
    if (p != nullptr) it.content.assign(p, n);
    it.content_loaded = true;
  }
  return it;
}

class SqliteBaseline final : public Subject {
 public:
  SqliteBaseline(Db db, const Workload& workload) : db_(std::move(db)), workload_(workload) {}

  std::string Describe() const override {
    return std::string("sqlite3 ") + sqlite3_libversion() +
           " C API: one connection, prepared statements, same pragmas";
  }

  Result<void> PrepareAll() {
    std::string select = "SELECT ";
    select += kBaselineMetaColumns;
    const std::string where = " FROM baseline_items WHERE workspace_id = ? AND path = ?";
    const std::pair<Stmt*, std::string> statements[] = {
        {&begin_write_, "BEGIN IMMEDIATE"},
        {&begin_read_, "BEGIN"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&insert_,
         "INSERT INTO baseline_items (id, workspace_id, parent_id, path, kind, content, size, "
         "sha256, version, mtime, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {&get_, select + ", content" + where},
        {&get_meta_, select + where},
        {&list_, select + " FROM baseline_items WHERE workspace_id = ? ORDER BY path"},
        {&update_,
         "UPDATE baseline_items SET content = ?, size = ?, sha256 = ?, mtime = ?, "
         "version = version + 1 WHERE id = ? AND version = ?"},
    };
    for (const auto& [stmt, sql] : statements) {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw,
                             nullptr) != SQLITE_OK) {
        return Fail(Failure("prepare " + sql));
      }
      stmt->reset(raw);
    }
    return {};
  }

  Result<void> Insert(int i, const Payload& payload) override {
    if (auto r = Run(begin_write_.get()); !r) return r;
    sqlite3_stmt* s = insert_.get();
    BindText(s, 1, workload_.item_id(i));
    BindText(s, 2, workload_.workspace_id());
    sqlite3_bind_null(s, 3);
    BindText(s, 4, workload_.path(i));
    BindText(s, 5, "file");
    sqlite3_bind_blob64(s, 6, payload.content.data(), payload.content.size(), SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, static_cast<sqlite3_int64>(payload.content.size()));
    BindText(s, 8, payload.sha256);
    sqlite3_bind_int64(s, 9, 1);
    sqlite3_bind_int64(s, 10, Workload::Millis(i, 1));
    sqlite3_bind_int64(s, 11, Workload::Millis(i, 1));
    if (auto r = Run(s); !r) return Abort(r.error());
    return Run(commit_.get());
  }

  Result<std::string> Get(int i) override {
    if (auto r = Run(begin_read_.get()); !r) return Fail(r.error());
    auto item = Find(get_.get(), i, true);
    if (!item) return Abort(item.error());
    if (auto r = Run(commit_.get()); !r) return Fail(r.error());
    return std::move(item->content);
  }

  Result<std::size_t> List() override {
    if (auto r = Run(begin_read_.get()); !r) return Fail(r.error());
    sqlite3_stmt* s = list_.get();
    BindText(s, 1, workload_.workspace_id());
    std::vector<WorkspaceItem> items;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) items.push_back(ReadItem(s, false));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) return Abort(Failure("list"));
    if (auto r = Run(commit_.get()); !r) return Fail(r.error());
    return items.size();
  }

  Result<int64_t> Update(int i, const Payload& payload, int64_t expected) override {
    if (auto r = Run(begin_write_.get()); !r) return Fail(r.error());
    auto current = Find(get_meta_.get(), i, false);
    if (!current) return Abort(current.error());
    if (current->kind != ItemKind::kFile || current->version != expected) {
      return Abort(Error(Error::Code::kConflict, "sqlite baseline: stale version"));
    }
    sqlite3_stmt* s = update_.get();
    sqlite3_bind_blob64(s, 1, payload.content.data(), payload.content.size(), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(payload.content.size()));
    BindText(s, 3, payload.sha256);
    sqlite3_bind_int64(s, 4, Workload::Millis(i, expected + 1));
    BindText(s, 5, current->id);
    sqlite3_bind_int64(s, 6, current->version);
    if (auto r = Run(s); !r) return Abort(r.error());
    if (sqlite3_changes64(db_.get()) != 1) {
      return Abort(Error(Error::Code::kConflict, "sqlite baseline: stale version"));
    }
    if (auto r = Run(commit_.get()); !r) return Fail(r.error());
    return current->version + 1;
  }

 private:
  static void BindText(sqlite3_stmt* s, int i, std::string_view text) {
    sqlite3_bind_text64(s, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  }

  Error Failure(const std::string& what) const {
    return Error(Error::Code::kInternal,
                 "sqlite baseline: " + what + ": " + sqlite3_errmsg(db_.get()));
  }

  // Steps a statement that returns no rows, then resets it for the next use.
  Result<void> Run(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    Result<void> out;
    if (rc != SQLITE_DONE) out = Fail(Failure(sqlite3_sql(s)));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
  }

  // Item i by (workspace, path) with `s` (get_ or get_meta_).
  Result<WorkspaceItem> Find(sqlite3_stmt* s, int i, bool with_content) {
    BindText(s, 1, workload_.workspace_id());
    BindText(s, 2, workload_.path(i));
    Result<WorkspaceItem> out =
        Fail(Error::Code::kNotFound, "sqlite baseline: no item " + workload_.path(i));
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      out = ReadItem(s, with_content);
    } else if (rc != SQLITE_DONE) {
      out = Fail(Failure("get"));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
  }

  std::unexpected<Error> Abort(Error error) {
    (void)Run(rollback_.get());
    return std::unexpected(std::move(error));
  }

  Db db_;  // declared first so the statements are finalized before it closes
  const Workload& workload_;
  Stmt begin_write_, begin_read_, commit_, rollback_, insert_, get_, get_meta_, list_, update_;
};

}  // namespace

Result<std::unique_ptr<Subject>> OpenSqliteBaseline(const std::string& path,
                                                    const Workload& workload) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  auto fail = [&](const std::string& what) {
    return Fail(Error::Code::kUnavailable,
                "sqlite baseline: " + what + " (" + path + "): " + sqlite3_errmsg(db.get()));
  };
  if (rc != SQLITE_OK) return fail("cannot open");
  // The backend's per-connection settings (sqlite_connection.cpp), so both sides commit alike.
  const std::string setup =
      "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
      "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; " +
      BaselineSchemaSql("BLOB") + "INSERT INTO baseline_workspaces VALUES ('" +
      workload.workspace_id() + "');";
  if (sqlite3_exec(db.get(), setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("creating the baseline tables");
  }
  auto baseline = std::make_unique<SqliteBaseline>(std::move(db), workload);
  if (auto r = baseline->PrepareAll(); !r) return Fail(r.error());
  return baseline;
}

}  // namespace codeyard::bench
