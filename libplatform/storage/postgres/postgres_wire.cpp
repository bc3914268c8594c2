#include "storage/postgres/postgres_wire.hpp"

#include <bit>
#include <charconv>
#include <cstddef>
#include <utility>
#include <variant>

namespace codeyard::postgres {
namespace {

// Type OIDs from pg_type.dat; fixed across PostgreSQL versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kOidOid = 26;
constexpr Oid kJsonOid = 114;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kUnknownOid = 705;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kNumericOid = 1700;
constexpr Oid kVoidOid = 2278;
constexpr Oid kJsonbOid = 3802;

// The protocol counts parameters in an int16; a field is at most 1 GiB on the server.
constexpr std::size_t kMaxParams = 65535;
constexpr std::size_t kMaxFieldBytes = std::size_t{1} << 30;

constexpr int kBinaryFormat = 1;
// jsonb's binary form is a version byte followed by the JSON text.
constexpr char kJsonbVersion = 1;

enum class Decoder { kSigned, kUnsigned, kFloat4, kFloat8, kBool, kText, kJsonb, kBytes, kVoid };

struct ColumnDecoder {
  Decoder decoder;
  int width;  // the exact binary size for fixed-width types, else 0
};

Result<ColumnDecoder> DecoderFor(const PGresult* result, int column) {
  switch (PQftype(result, column)) {
    case kInt2Oid:
      return ColumnDecoder{Decoder::kSigned, 2};
    case kInt4Oid:
      return ColumnDecoder{Decoder::kSigned, 4};
    case kInt8Oid:
      return ColumnDecoder{Decoder::kSigned, 8};
    case kOidOid:
      return ColumnDecoder{Decoder::kUnsigned, 4};
    case kFloat4Oid:
      return ColumnDecoder{Decoder::kFloat4, 4};
    case kFloat8Oid:
      return ColumnDecoder{Decoder::kFloat8, 8};
    case kBoolOid:
      return ColumnDecoder{Decoder::kBool, 1};
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid:
    case kJsonOid:
    case kUnknownOid:
      return ColumnDecoder{Decoder::kText, 0};
    case kJsonbOid:
      return ColumnDecoder{Decoder::kJsonb, 0};
    case kByteaOid:
      return ColumnDecoder{Decoder::kBytes, 0};
    case kVoidOid:
      return ColumnDecoder{Decoder::kVoid, 0};
    default:
      break;
  }
  const Oid type = PQftype(result, column);
  const char* name = PQfname(result, column);
  std::string message = "postgres: unsupported column type OID " + std::to_string(type) +
                        " in column \"" + (name != nullptr ? name : "?") + "\"";
  // SUM() and AVG() over BIGINT produce numeric on PostgreSQL but not on SQLite.
  if (type == kNumericOid) message += " (numeric; CAST it AS BIGINT or DOUBLE PRECISION)";
  return Fail(Error::Code::kInternal, std::move(message));
}

uint64_t ReadBigEndian(const char* bytes, int width) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

void WriteBigEndian(uint64_t value, std::array<char, 8>& out) {
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

int64_t SignExtend(uint64_t value, int width) {
  if (width == 8) return static_cast<int64_t>(value);
  const uint64_t sign = uint64_t{1} << (width * 8 - 1);
  return static_cast<int64_t>((value ^ sign) - sign);
}

Result<Value> DecodeCell(const PGresult* result, int row, int column,
                         ColumnDecoder column_decoder) {
  const char* bytes = PQgetvalue(result, row, column);
  const int length = PQgetlength(result, row, column);
  if (column_decoder.width != 0 && length != column_decoder.width) {
    return Fail(Error::Code::kInternal, "postgres: column \"" +
                                            std::string(PQfname(result, column)) + "\" holds " +
                                            std::to_string(length) + " bytes, expected " +
                                            std::to_string(column_decoder.width));
  }
  const auto size = static_cast<std::size_t>(length);
  switch (column_decoder.decoder) {
    case Decoder::kSigned:
      return Value(SignExtend(ReadBigEndian(bytes, length), length));
    case Decoder::kUnsigned:
      return Value(static_cast<int64_t>(ReadBigEndian(bytes, length)));
    case Decoder::kFloat4:
      return Value(static_cast<double>(
          std::bit_cast<float>(static_cast<uint32_t>(ReadBigEndian(bytes, length)))));
    case Decoder::kFloat8:
      return Value(std::bit_cast<double>(ReadBigEndian(bytes, length)));
    case Decoder::kBool:
      return Value(int64_t{bytes[0] != 0 ? 1 : 0});
    case Decoder::kText:
      return Value(std::string(bytes, size));
    case Decoder::kJsonb:
      if (length < 1 || bytes[0] != kJsonbVersion) {
        return Fail(Error::Code::kInternal, "postgres: unknown jsonb binary format version");
      }
      return Value(std::string(bytes + 1, size - 1));
    case Decoder::kBytes:
      return Value(Blob{std::string(bytes, size)});
    case Decoder::kVoid:
      return Value();
  }
  return Fail(Error::Code::kInternal, "postgres: unreachable decoder");
}

std::string_view Field(const PGresult* result, int field) {
  if (result == nullptr) return {};
  const char* value = PQresultErrorField(result, field);
  return value != nullptr ? std::string_view(value) : std::string_view();
}

Error::Code CodeForSqlState(std::string_view state) {
  using Code = Error::Code;
  // Exclusion constraints are uniqueness generalized (no two overlapping ranges, ...).
  if (state == "23505" || state == "23P01") return Code::kAlreadyExists;
  // 23001 is ON DELETE RESTRICT, a foreign key by another name.
  if (state == "23503" || state == "23001") return Code::kFailedPrecondition;
  // 54000: a value too large for an index row; the input is what needs to change.
  if (state.starts_with("23") || state.starts_with("22") || state == "54000") {
    return Code::kInvalidArgument;
  }
  if (state.starts_with("40")) return Code::kAborted;
  if (state == "57014") return Code::kDeadlineExceeded;
  // 55P03 is lock_timeout expiring: the database is busy, as the interface names it.
  if (state.starts_with("08") || state.starts_with("57P0") || state == "55P03") {
    return Code::kUnavailable;
  }
  // 53100 disk_full: the server's disk, not the caller's request; retry once space is freed.
  if (state == "53100") return Code::kUnavailable;
  if (state.starts_with("53")) return Code::kResourceExhausted;
  if (state == "25006" || state == "25P02") return Code::kFailedPrecondition;
  if (state == "XX001" || state == "XX002") return Code::kDataLoss;
  return Code::kInternal;
}

}  // namespace

Result<BoundParams> BoundParams::Bind(std::span<const Value> params) {
  if (params.size() > kMaxParams) {
    return Fail(Error::Code::kInternal, "postgres: " + std::to_string(params.size()) +
                                            " parameters; the protocol allows 65535");
  }
  BoundParams bound;
  const std::size_t n = params.size();
  bound.types_.reserve(n);
  bound.values_.reserve(n);
  bound.lengths_.reserve(n);
  bound.formats_.assign(n, kBinaryFormat);
  bound.numbers_.resize(n);
  auto push = [&bound](Oid type, const char* data, std::size_t length) {
    bound.types_.push_back(type);
    bound.values_.push_back(data);
    bound.lengths_.push_back(static_cast<int>(length));
  };
  for (std::size_t i = 0; i < n; ++i) {
    const Value& value = params[i];
    std::array<char, 8>& number = bound.numbers_[i];
    if (const auto* integer = std::get_if<int64_t>(&value)) {
      WriteBigEndian(static_cast<uint64_t>(*integer), number);
      push(kInt8Oid, number.data(), number.size());
    } else if (const auto* real = std::get_if<double>(&value)) {
      WriteBigEndian(std::bit_cast<uint64_t>(*real), number);
      push(kFloat8Oid, number.data(), number.size());
    } else if (std::holds_alternative<std::monostate>(value)) {
      // Type 0 lets the server infer the type from the context, as it would for a literal.
      push(0, nullptr, 0);
    } else {
      // TEXT goes in binary format too: the length is explicit (no NUL-termination, no
      // silent truncation at an embedded NUL) and the server still validates the UTF-8.
      const auto* text = std::get_if<std::string>(&value);
      const std::string& bytes = text != nullptr ? *text : std::get<Blob>(value).bytes;
      if (bytes.size() > kMaxFieldBytes) {
        return Fail(Error::Code::kInvalidArgument, "postgres: parameter " + std::to_string(i + 1) +
                                                       " holds " + std::to_string(bytes.size()) +
                                                       " bytes; the limit is 1 GiB");
      }
      push(text != nullptr ? kTextOid : kByteaOid, bytes.data(), bytes.size());
    }
  }
  return bound;
}

Result<Rows> DecodeRows(const PGresult* result) {
  const int rows_count = PQntuples(result);
  const int columns = PQnfields(result);
  std::vector<ColumnDecoder> decoders;
  decoders.reserve(static_cast<std::size_t>(columns));
  // Checked even when no row came back, so an unsupported type fails every time, not
  // only once the table has data.
  for (int column = 0; column < columns; ++column) {
    if (PQfformat(result, column) != kBinaryFormat) {
      return Fail(Error::Code::kInternal, "postgres: the server sent a column as text");
    }
    auto decoder = DecoderFor(result, column);
    if (!decoder) return std::unexpected(std::move(decoder).error());
    decoders.push_back(*decoder);
  }
  Rows rows;
  rows.reserve(static_cast<std::size_t>(rows_count));
  for (int row = 0; row < rows_count; ++row) {
    std::vector<Value> cells;
    cells.reserve(static_cast<std::size_t>(columns));
    for (int column = 0; column < columns; ++column) {
      if (PQgetisnull(result, row, column) != 0) {
        cells.emplace_back();
        continue;
      }
      auto cell = DecodeCell(result, row, column, decoders[static_cast<std::size_t>(column)]);
      if (!cell) return std::unexpected(std::move(cell).error());
      cells.push_back(std::move(*cell));
    }
    rows.emplace_back(std::move(cells));
  }
  return rows;
}

int64_t AffectedRows(PGresult* result) {
  const char* tuples = PQcmdTuples(result);
  const std::string_view text = tuples != nullptr ? tuples : "";
  int64_t count = 0;
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

Error StatementError(const PGconn* conn, const PGresult* result) {
  const std::string_view state = Field(result, PG_DIAG_SQLSTATE);
  std::string_view primary = Field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty() && result != nullptr) primary = PQresultErrorMessage(result);
  if (primary.empty()) primary = PQerrorMessage(conn);
  if (primary.empty()) primary = "unknown error";
  std::string message = "postgres: " + OneLine(primary);
  if (state == "53100") message = "postgres: storage is full: " + OneLine(primary);
  if (state.empty()) {
    // Client-side failures carry no SQLSTATE; a dead socket is the common one.
    if (PQstatus(conn) != CONNECTION_OK) {
      return Error(Error::Code::kUnavailable, "postgres: connection lost: " + OneLine(primary));
    }
    return Error(Error::Code::kInternal, std::move(message));
  }
  const std::string_view constraint = Field(result, PG_DIAG_CONSTRAINT_NAME);
  if (!constraint.empty() && message.find(constraint) == std::string::npos) {
    message += " (constraint " + std::string(constraint) + ")";
  }
  if (state == "42P18") {
    // A NULL is bound untyped; alone in `? IS NULL` nothing tells the server its type.
    message += " (give the parameter a type: CAST(? AS BIGINT))";
  }
  message += " [SQLSTATE " + std::string(state) + "]";
  return Error(CodeForSqlState(state), std::move(message));
}

Result<PgResult> ExecSimple(PGconn* conn, const char* sql) {
  PgResult result(PQexec(conn, sql));
  const ExecStatusType status =
      result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return Fail(StatementError(conn, result.get()));
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

}  // namespace codeyard::postgres
