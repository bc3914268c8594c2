// The PostgreSQL baseline: the repositories' statements sent straight through libpq on one
// connection, as the backend sends them: BEGIN and COMMIT by the simple protocol, each
// statement by PQexecParams with binary parameters and binary results, and the same
// isolation level for reads. Parameters live in fixed arrays (no allocation per call).
#include <libpq-fe.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "baseline_schema.hpp"
#include "bench_storage.hpp"
#include "codeyard/records.hpp"

namespace codeyard::bench {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr int kBinary = 1;

// What the backend sends for read and write transactions (postgres_storage.cpp).
constexpr const char* kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
constexpr const char* kBeginWrite = "BEGIN";

struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, ConnDeleter>;

// Up to 12 binary parameters for PQexecParams.
class Params {
 public:
  void Text(std::string_view s) { Push(kTextOid, s.data(), s.size()); }
  void Bytes(std::string_view s) { Push(kByteaOid, s.data(), s.size()); }
  void Null() { Push(0, nullptr, 0); }
  void Int(int64_t v) {
    auto& slot = numbers_[n_];
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i, u >>= 8) slot[static_cast<std::size_t>(i)] = static_cast<char>(u);
    Push(kInt8Oid, slot.data(), slot.size());
  }
  PgResult Exec(PGconn* conn, const char* sql) const {
    return PgResult(PQexecParams(conn, sql, static_cast<int>(n_), types_.data(), values_.data(),
                                 lengths_.data(), formats_.data(), kBinary));
  }

 private:
  void Push(Oid type, const char* data, std::size_t length) {
    types_[n_] = type;
    values_[n_] = data;
    lengths_[n_] = static_cast<int>(length);
    formats_[n_] = kBinary;
    ++n_;
  }

  static constexpr std::size_t kMax = 12;
  std::size_t n_ = 0;
  std::array<Oid, kMax> types_{};
  std::array<const char*, kMax> values_{};
  std::array<int, kMax> lengths_{};
  std::array<int, kMax> formats_{};
  std::array<std::array<char, 8>, kMax> numbers_{};
};

std::string Cell(const PGresult* r, int row, int column) {
  return std::string(PQgetvalue(r, row, column),
                     static_cast<std::size_t>(PQgetlength(r, row, column)));
}

int64_t Int8(const PGresult* r, int row, int column) {
  const char* p = PQgetvalue(r, row, column);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(v);
}

// Reads a row as the repository does: ten metadata columns, then content if any.
WorkspaceItem ReadItem(const PGresult* r, int row, bool with_content) {
  WorkspaceItem it;
  it.id = Cell(r, row, 0);
  it.workspace_id = Cell(r, row, 1);
  if (PQgetisnull(r, row, 2) == 0) it.parent_id = Cell(r, row, 2);
  it.path = Cell(r, row, 3);
  it.kind = Cell(r, row, 4) == "dir" ? ItemKind::kDir : ItemKind::kFile;
  it.size = Int8(r, row, 5);
  it.sha256 = Cell(r, row, 6);
  it.version = Int8(r, row, 7);
  it.mtime = Int8(r, row, 8);
  it.created_at = Int8(r, row, 9);
  if (with_content) {
    if (PQgetisnull(r, row, 10) == 0) it.content = Cell(r, row, 10);
    it.content_loaded = true;
  }
  return it;
}

class PostgresBaseline final : public Subject {
 public:
  PostgresBaseline(PgConn conn, const Workload& workload)
      : conn_(std::move(conn)), workload_(workload) {
    const std::string meta(kBaselineMetaColumns);
    const std::string where = " FROM baseline_items WHERE workspace_id = $1 AND path = $2";
    get_sql_ = "SELECT " + meta + ", content" + where;
    get_meta_sql_ = "SELECT " + meta + where;
    list_sql_ = "SELECT " + meta + " FROM baseline_items WHERE workspace_id = $1 ORDER BY path";
  }

  std::string Describe() const override {
    return "libpq " + std::to_string(PQlibVersion()) +
           ": one connection, PQexecParams, binary params and results";
  }

  Result<int64_t> ServerProcess() override { return PQbackendPID(conn_.get()); }

  Result<void> Insert(int i, const Payload& payload) override {
    if (auto r = Simple(kBeginWrite); !r) return r;
    Params p;
    p.Text(workload_.item_id(i));
    p.Text(workload_.workspace_id());
    p.Null();
    p.Text(workload_.path(i));
    p.Text("file");
    p.Bytes(payload.content);
    p.Int(static_cast<int64_t>(payload.content.size()));
    p.Text(payload.sha256);
    p.Int(1);
    p.Int(Workload::Millis(i, 1));
    p.Int(Workload::Millis(i, 1));
    auto r = Check(p.Exec(conn_.get(),
                          "INSERT INTO baseline_items (id, workspace_id, parent_id, path, kind, "
                          "content, size, sha256, version, mtime, created_at) VALUES "
                          "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
                   PGRES_COMMAND_OK, "insert");
    if (!r) return Abort(r.error());
    return Simple("COMMIT");
  }

  Result<std::string> Get(int i) override {
    if (auto r = Simple(kBeginRead); !r) return Fail(r.error());
    auto item = Find(get_sql_.c_str(), i, true);
    if (!item) return Abort(item.error());
    if (auto r = Simple("COMMIT"); !r) return Fail(r.error());
    return std::move(item->content);
  }

  Result<std::size_t> List() override {
    if (auto r = Simple(kBeginRead); !r) return Fail(r.error());
    Params p;
    p.Text(workload_.workspace_id());
    auto result = Check(p.Exec(conn_.get(), list_sql_.c_str()), PGRES_TUPLES_OK, "list");
    if (!result) return Abort(result.error());
    std::vector<WorkspaceItem> items;
    const int n = PQntuples(result->get());
    items.reserve(static_cast<std::size_t>(n));
    for (int row = 0; row < n; ++row) items.push_back(ReadItem(result->get(), row, false));
    if (auto r = Simple("COMMIT"); !r) return Fail(r.error());
    return items.size();
  }

  Result<int64_t> Update(int i, const Payload& payload, int64_t expected) override {
    if (auto r = Simple(kBeginWrite); !r) return Fail(r.error());
    auto current = Find(get_meta_sql_.c_str(), i, false);
    if (!current) return Abort(current.error());
    if (current->kind != ItemKind::kFile || current->version != expected) {
      return Abort(Error(Error::Code::kConflict, "postgres baseline: stale version"));
    }
    Params p;
    p.Bytes(payload.content);
    p.Int(static_cast<int64_t>(payload.content.size()));
    p.Text(payload.sha256);
    p.Int(Workload::Millis(i, expected + 1));
    p.Text(current->id);
    p.Int(current->version);
    auto result = Check(p.Exec(conn_.get(),
                               "UPDATE baseline_items SET content = $1, size = $2, sha256 = $3, "
                               "mtime = $4, version = version + 1 WHERE id = $5 AND version = $6"),
                        PGRES_COMMAND_OK, "update");
    if (!result) return Abort(result.error());
    if (std::string_view(PQcmdTuples(result->get())) != "1") {
      return Abort(Error(Error::Code::kConflict, "postgres baseline: stale version"));
    }
    if (auto r = Simple("COMMIT"); !r) return Fail(r.error());
    return current->version + 1;
  }

 private:
  Result<PgResult> Check(PgResult result, ExecStatusType want, std::string_view what) {
    if (result != nullptr && PQresultStatus(result.get()) == want) return result;
    std::string message =
        "postgres baseline: " + std::string(what) + ": " +
        (result != nullptr ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get()));
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Fail(Error::Code::kInternal, std::move(message));
  }

  Result<void> Simple(const char* sql) {
    auto r = Check(PgResult(PQexec(conn_.get(), sql)), PGRES_COMMAND_OK, sql);
    if (!r) return Fail(r.error());
    return {};
  }

  Result<WorkspaceItem> Find(const char* sql, int i, bool with_content) {
    Params p;
    p.Text(workload_.workspace_id());
    p.Text(workload_.path(i));
    auto result = Check(p.Exec(conn_.get(), sql), PGRES_TUPLES_OK, "get");
    if (!result) return Fail(result.error());
    if (PQntuples(result->get()) == 0) {
      return Fail(Error::Code::kNotFound, "postgres baseline: no item " + workload_.path(i));
    }
    return ReadItem(result->get(), 0, with_content);
  }

  std::unexpected<Error> Abort(Error error) {
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
    return std::unexpected(std::move(error));
  }

  PgConn conn_;
  const Workload& workload_;
  std::string get_sql_;
  std::string get_meta_sql_;
  std::string list_sql_;
};

}  // namespace

Result<std::unique_ptr<Subject>> OpenPostgresBaseline(const std::string& conninfo,
                                                      const Workload& workload) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = conn != nullptr ? PQerrorMessage(conn.get()) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Fail(Error::Code::kUnavailable, "postgres baseline: cannot connect: " + message);
  }
  const std::string setup = BaselineSchemaSql("BYTEA") +
                            "INSERT INTO baseline_workspaces VALUES ('" + workload.workspace_id() +
                            "');";
  PgResult result(PQexec(conn.get(), setup.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    std::string message = PQresultErrorMessage(result.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Fail(Error::Code::kInternal, "postgres baseline: creating the tables: " + message);
  }
  return std::make_unique<PostgresBaseline>(std::move(conn), workload);
}

}  // namespace codeyard::bench
