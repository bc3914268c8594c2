// Problems in storage (see problems.hpp).
#include "core/store/problems.hpp"

#include "codeyard/id.hpp"
#include "core/problems/problem_json.hpp"
#include "core/store/blobs.hpp"
#include "core/store/store_util.hpp"
#include "core/try.hpp"

namespace codeyard::store::problems {
namespace {

Value Int(int64_t n) { return Value{n}; }
Value Real(double d) { return Value{d}; }

Result<void> DeleteParts(Transaction& tx, std::string_view id) {
  for (std::string_view table : {"problem_topics", "problem_tests", "problem_assets"}) {
    CY_CHECK(tx.Exec("DELETE FROM " + std::string(table) + " WHERE problem_id = ?", {Text(id)}));
  }
  return {};
}

Result<std::string> PutBlob(Transaction& tx, const std::string& content) {
  std::string sha = Sha256Hex(content);
  CY_CHECK(blobs::Put(tx, sha, content));
  return sha;
}

Value OrgOf(const Problem& p) { return p.org_id.empty() ? Value{} : Text(p.org_id); }
Value Visibility(const Problem& p) { return Text(p.org_only ? "org" : "public"); }

}  // namespace

Result<int64_t> Put(Transaction& tx, const Problem& p, int64_t now, bool create_only) {
  CY_TRY(Rows old, tx.Query("SELECT created_at FROM problems WHERE id = ?", {Text(p.id)}));
  if (create_only && !old.empty()) {
    return Fail(Error::Code::kAlreadyExists, "problems: a problem with id '" + p.id +
                                                 "' exists (PUT /api/v1/problems/" + p.id +
                                                 " replaces it)");
  }
  const Value level =
      Opt(p.tags.level ? std::optional<int64_t>(*p.tags.level) : std::optional<int64_t>());
  const std::string spec = ::codeyard::problems::SpecToJson(p);
  int64_t created = now;
  if (old.empty()) {
    CY_CHECK(
        tx.Exec("INSERT INTO problems (id, title, level, age_group, is_public, spec, created_at, "
                "updated_at, image, org_id, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {Text(p.id), Text(p.title), level, Text(p.tags.age_group), Int(p.is_public),
                 Text(spec), Int(now), Int(now), Text(p.image), OrgOf(p), Visibility(p)}));
  } else {
    CY_TRY(created, old.front().Int(0));
    CY_CHECK(DeleteParts(tx, p.id));
    CY_CHECK(
        tx.Exec("UPDATE problems SET title = ?, level = ?, age_group = ?, is_public = ?, spec = ?, "
                "updated_at = ?, image = ?, org_id = ?, visibility = ?, version = version + 1 "
                "WHERE id = ?",
                {Text(p.title), level, Text(p.tags.age_group), Int(p.is_public), Text(spec),
                 Int(now), Text(p.image), OrgOf(p), Visibility(p), Text(p.id)}));
  }
  for (const std::string& topic : p.tags.topics) {
    CY_CHECK(tx.Exec(
        "INSERT INTO problem_topics (problem_id, topic) VALUES (?, ?) ON CONFLICT DO NOTHING",
        {Text(p.id), Text(topic)}));
  }
  int64_t ordinal = 0;
  for (const TestCase& t : p.tests) {
    CY_TRY(const std::string in, PutBlob(tx, t.input));
    CY_TRY(const std::string out, PutBlob(tx, t.expected_output));
    CY_CHECK(tx.Exec(
        "INSERT INTO problem_tests (problem_id, ordinal, name, group_name, points, is_public, "
        "input_sha256, output_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {Text(p.id), Int(ordinal++), Text(t.name), Text(t.group), Real(t.points), Int(t.is_public),
         Text(in), Text(out)}));
  }
  ordinal = 0;
  for (const ProblemAsset& a : p.assets) {
    CY_TRY(const std::string sha, PutBlob(tx, a.content));
    CY_CHECK(tx.Exec(
        "INSERT INTO problem_assets (problem_id, ordinal, path, blob_sha256) VALUES (?, ?, ?, ?)",
        {Text(p.id), Int(ordinal++), Text(a.path), Text(sha)}));
  }
  return created;
}

Result<Problem> Get(Transaction& tx, std::string_view id, bool hidden) {
  CY_TRY(Rows rows, tx.Query("SELECT id, title, level, age_group, is_public, spec, created_at, "
                             "updated_at, org_id, visibility FROM problems WHERE id = ?",
                             {Text(id)}));
  if (rows.empty()) return Fail(NotFound("problem", id));
  Row& row = rows.front();
  Problem p;
  CY_TRY(p.id, row.Text(0));
  CY_TRY(p.title, row.Text(1));
  CY_TRY(const std::optional<int64_t> level, OptInt(row, 2));
  if (level) p.tags.level = static_cast<int>(*level);
  CY_TRY(p.tags.age_group, row.Text(3));
  CY_TRY(const int64_t is_public, row.Int(4));
  p.is_public = is_public != 0;
  CY_TRY(const std::string spec, row.Text(5));
  CY_TRY(p.created_at, row.Int(6));
  CY_TRY(p.updated_at, row.Int(7));
  CY_TRY(const auto org_id, OptText(row, 8));
  p.org_id = org_id.value_or("");
  CY_TRY(const std::string visibility, row.Text(9));
  p.org_only = visibility == "org";
  CY_CHECK(::codeyard::problems::SpecFromJson(spec, p));
  CY_TRY(Rows tests,
         tx.Query(hidden ? "SELECT name, group_name, points, is_public, input_sha256, "
                           "output_sha256 FROM problem_tests WHERE problem_id = ? ORDER BY ordinal"
                         : "SELECT name, group_name, points, is_public, input_sha256, "
                           "output_sha256 FROM problem_tests WHERE problem_id = ? AND "
                           "is_public = 1 ORDER BY ordinal",
                  {Text(id)}));
  for (Row& r : tests) {
    TestCase t;
    CY_TRY(t.name, r.Text(0));
    CY_TRY(t.group, r.Text(1));
    CY_TRY(t.points, r.Double(2));
    CY_TRY(const int64_t pub, r.Int(3));
    t.is_public = pub != 0;
    CY_TRY(const std::string in, r.Text(4));
    CY_TRY(const std::string out, r.Text(5));
    CY_TRY(t.input, blobs::Get(tx, in));
    CY_TRY(t.expected_output, blobs::Get(tx, out));
    p.tests.push_back(std::move(t));
  }
  CY_TRY(Rows assets, tx.Query("SELECT path, blob_sha256 FROM problem_assets WHERE problem_id = "
                               "? ORDER BY ordinal",
                               {Text(id)}));
  for (Row& r : assets) {
    ProblemAsset a;
    CY_TRY(a.path, r.Text(0));
    CY_TRY(const std::string sha, r.Text(1));
    CY_TRY(a.content, blobs::Get(tx, sha));
    p.assets.push_back(std::move(a));
  }
  return p;
}

Result<bool> Delete(Transaction& tx, std::string_view id) {
  CY_CHECK(DeleteParts(tx, id));
  CY_TRY(const int64_t n, tx.Exec("DELETE FROM problems WHERE id = ?", {Text(id)}));
  return n > 0;
}

Result<std::vector<Summary>> List(Transaction& tx, const ListFilter& filter,
                                  std::string_view after_id, int64_t limit) {
  std::string sql =
      "SELECT p.id, p.title, p.level, p.age_group, p.is_public, p.spec, p.created_at, "
      "p.updated_at, p.org_id, p.visibility, (SELECT COUNT(*) FROM problem_tests t WHERE "
      "t.problem_id = p.id AND "
      "t.is_public = 1), (SELECT COUNT(*) FROM problem_tests t WHERE t.problem_id = p.id AND "
      "t.is_public = 0) FROM problems p WHERE p.id > ?";
  std::vector<Value> params{Text(after_id)};
  if (filter.level) {
    sql += " AND p.level = ?";
    params.push_back(Int(*filter.level));
  }
  if (filter.topic) {
    sql += " AND EXISTS (SELECT 1 FROM problem_topics g WHERE g.problem_id = p.id AND g.topic = ?)";
    params.push_back(Text(*filter.topic));
  }
  if (!filter.include_private) {
    // An organization's problem with visibility "org" is listed for its members only.
    sql +=
        " AND p.is_public = 1 AND (p.visibility = 'public' OR EXISTS (SELECT 1 FROM org_members "
        "m WHERE m.org_id = p.org_id AND m.user_id = ?))";
    params.push_back(Text(filter.viewer_id));
  }
  if (filter.solved) {
    // The progress row's primary key (user_id, problem_id) makes this one index probe.
    sql += *filter.solved ? " AND EXISTS" : " AND NOT EXISTS";
    sql +=
        " (SELECT 1 FROM progress s WHERE s.user_id = ? AND s.problem_id = p.id AND "
        "s.solved = 1)";
    params.push_back(Text(filter.user_id));
  }
  sql += " ORDER BY p.id LIMIT ?";
  params.push_back(Int(limit));
  CY_TRY(Rows rows, tx.Query(sql, params));
  std::vector<Summary> out;
  for (Row& r : rows) {
    Summary s;
    CY_TRY(s.id, r.Text(0));
    CY_TRY(s.title, r.Text(1));
    CY_TRY(const std::optional<int64_t> level, OptInt(r, 2));
    if (level) s.tags.level = static_cast<int>(*level);
    CY_TRY(s.tags.age_group, r.Text(3));
    CY_TRY(const int64_t pub, r.Int(4));
    s.is_public = pub != 0;
    CY_TRY(const std::string spec, r.Text(5));
    Problem body;
    body.id = s.id;
    CY_CHECK(::codeyard::problems::SpecFromJson(spec, body));
    s.tags.topics = std::move(body.tags.topics);
    CY_TRY(s.created_at, r.Int(6));
    CY_TRY(s.updated_at, r.Int(7));
    CY_TRY(const auto org_id, OptText(r, 8));
    s.org_id = org_id.value_or("");
    CY_TRY(const std::string visibility, r.Text(9));
    s.org_only = visibility == "org";
    CY_TRY(s.public_tests, r.Int(10));
    CY_TRY(s.hidden_tests, r.Int(11));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace codeyard::store::problems
