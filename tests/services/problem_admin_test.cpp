// The admin side of problems and the lists over them, on both storage backends where storage
// is involved: the problem JSON (every field read, every fault named by its field), Create's
// 409 against Put's replace, importing an uploaded package zip with the CLI's importer and
// caps, the solved filter of Problems::List in keyset pages, and submission lists that page
// in SQL (full pages, one problem's only) over the jobs' problem_id column.
#include <zip.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "codeyard/id.hpp"
#include "codeyard/jobs.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "codeyard/submissions.hpp"
#include "core/store/jobs.hpp"
#include "core/store/progress.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = CODEYARD_EXAMPLE_PROBLEMS;

// A whole problem in the admin API's JSON: every field set.
constexpr std::string_view kFullJson = R"json({
  "id": "twice",
  "title": "Twice",
  "statement": "Print twice the number. ![](images/x.png)",
  "public": false,
  "scoring": true,
  "tags": {"level": 2, "age_group": "12-14", "topics": ["math", "io"]},
  "limits": {"time_limit_s": 2.5, "memory_bytes": 67108864, "output_bytes": 4096},
  "starter_code": {"python": "n = int(input())\n", "cpp": "int main() {}\n"},
  "groups": [{"name": "big", "points": 60}],
  "tests": [
    {"name": "sample", "input": "1\n", "expected_output": "2\n", "points": 0, "public": true},
    {"name": "small", "input": "3\n", "expected_output": "6\n", "points": 40},
    {"name": "big/1", "group": "big", "input": "1000\n", "expected_output": "2000\n"}
  ],
  "checker": {"kind": "float", "case_sensitive": false, "absolute_tolerance": 0.5,
              "relative_tolerance": 0.001},
  "assets": [{"path": "images/x.png", "data": "AAH/iVBO"}]
})json";

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto at = out.find(from);
  REQUIRE(at != std::string::npos);
  out.replace(at, from.size(), to);
  return out;
}

std::string JsonFault(std::string_view json, std::string_view path_id = {}) {
  auto parsed = ProblemFromJson(json, path_id);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code() == Error::Code::kInvalidArgument);
  return parsed.error().message();
}

// The bytes of a zip of examples/problems/<name>, its files under `top` ("" for the root).
std::string ZipOf(const std::string& name, const std::string& top) {
  const fs::path dir = kExamples / name;
  const fs::path zip_path = fs::temp_directory_path() / ("cy-admin-" + NewUuid() + ".zip");
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    entries.emplace_back(top + fs::relative(entry.path(), dir).generic_string(), content.str());
  }
  int error = 0;
  zip_t* z = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  REQUIRE(z != nullptr);
  for (const auto& [entry_name, content] : entries) {
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    REQUIRE(zip_file_add(z, entry_name.c_str(), src, ZIP_FL_OVERWRITE) >= 0);
  }
  REQUIRE(zip_close(z) == 0);
  std::ifstream in(zip_path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  fs::remove(zip_path);
  return bytes.str();
}

struct AdminWorld {
  explicit AdminWorld(std::unique_ptr<TestDatabase> database) : db(std::move(database)) {
    Options o;
    o.storage = db->shared();
    platform = Must(Platform::Open(o));
    problems = std::make_shared<Problems>(platform);
    admin = AddUser("root", Role::kAdmin);
    user = AddUser("pupil", Role::kUser);
  }

  std::string AddUser(const std::string& name, Role role) {
    User u;
    u.id = NewUuid();
    u.username = name;
    u.password_hash = "$argon2id$test-only";
    u.role = role;
    Must(store::Transact(platform->storage(), TxKind::kWrite,
                         [&](Transaction& tx) { return store::users::Insert(tx, u); }));
    return u.id;
  }

  std::unique_ptr<TestDatabase> db;
  std::shared_ptr<Platform> platform;
  std::shared_ptr<Problems> problems;
  std::string admin, user;
};

std::vector<std::string> Ids(const Page<ProblemSummary>& page) {
  std::vector<std::string> ids;
  for (const ProblemSummary& s : page.items) ids.push_back(s.id);
  return ids;
}

}  // namespace

TEST_CASE("problem JSON: every field is read", "[problems][json]") {
  const Problem p = Must(ProblemFromJson(kFullJson));
  CHECK(p.id == "twice");
  CHECK(p.title == "Twice");
  CHECK(p.statement_markdown == "Print twice the number. ![](images/x.png)");
  CHECK_FALSE(p.is_public);
  CHECK(p.scoring);
  CHECK(p.tags.level == 2);
  CHECK(p.tags.age_group == "12-14");
  CHECK(p.tags.topics == std::vector<std::string>{"math", "io"});
  CHECK(p.limits.time_limit_s == 2.5);
  CHECK(p.limits.memory_bytes == 64u << 20);
  CHECK(p.limits.output_bytes == 4096);
  CHECK(p.starter_code.at("python") == "n = int(input())\n");
  CHECK(p.starter_code.at("cpp") == "int main() {}\n");
  REQUIRE(p.groups.size() == 1);
  CHECK(p.groups[0] == TestGroup{"big", 60});
  REQUIRE(p.tests.size() == 3);
  CHECK(p.tests[0] == TestCase{"sample", "", "1\n", "2\n", 0, true});
  CHECK(p.tests[1] == TestCase{"small", "", "3\n", "6\n", 40, false});
  CHECK(p.tests[2] == TestCase{"big/1", "big", "1000\n", "2000\n", 0, false});
  CHECK(p.checker.kind == CheckerKind::kFloat);
  CHECK_FALSE(p.checker.case_sensitive);
  CHECK(p.checker.absolute_tolerance == 0.5);
  CHECK(p.checker.relative_tolerance == 0.001);
  REQUIRE(p.assets.size() == 1);
  CHECK(p.assets[0].path == "images/x.png");
  CHECK(p.assets[0].content == std::string("\x00\x01\xff\x89PN", 6));
  CHECK(MaxScore(p) == 100);

  // The route's id may stand for the body's; the defaults of what is left out.
  const Problem minimal = Must(ProblemFromJson(
      R"({"title":"T","tests":[{"name":"1","input":"","expected_output":""}]})", "tiny"));
  CHECK(minimal.id == "tiny");
  CHECK(minimal.is_public);
  CHECK(minimal.checker.kind == CheckerKind::kTrimmed);
  CHECK(minimal.tests[0].points == 1);
  CHECK_FALSE(minimal.tests[0].is_public);

  // A custom checker and an interactor carry their programs.
  const Problem custom = Must(ProblemFromJson(
      R"json({"id":"c","title":"C","tests":[{"name":"1","input":"","expected_output":""}],
          "checker":{"kind":"custom","program":{"language":"python",
                     "files":[{"path":"check.py","content":"exit(42)"}]}},
          "interactor":{"language":"cpp","files":[{"path":"i.cpp","content":"int main(){}"}]}})json"));
  REQUIRE(custom.checker.program);
  CHECK(custom.checker.program->files[0].path == "check.py");
  REQUIRE(custom.interactor);
  CHECK(custom.interactor->language == "cpp");

  // GET's read-only fields are ignored, so its answer can be sent back.
  CHECK(Must(ProblemFromJson(Replace(kFullJson, R"("id": "twice",)",
                                     R"("id": "twice", "hidden_tests": 2, "max_score": 100,
                                        "created_at": 1, "updated_at": 2, "progress": null,
                                        "interactive": false,)"))) == p);
}

TEST_CASE("problem JSON: each fault names its field", "[problems][json]") {
  CHECK_THAT(JsonFault("[1]"), Catch::Contains("body must be an object"));
  CHECK_THAT(JsonFault("{"), Catch::Contains("body is not JSON"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("title": "Twice",)", "")),
             Catch::Contains("title is required"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("title": "Twice")", R"("title": 7)")),
             Catch::Contains("title must be a string"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("input": "3\n", )", "")),
             Catch::Contains("tests[1].input is required"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("points": 40)", R"("points": -1)")),
             Catch::Contains("tests[1].points must not be negative"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("group": "big")", R"("group": "huge")")),
             Catch::Contains("tests[2].group names group \"huge\""));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("name": "small")", R"("name": "sample")")),
             Catch::Contains("tests[1].name repeats test \"sample\""));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("public": true)", R"("publik": true)")),
             Catch::Contains("tests[0].publik is not a field of this object"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("scoring": true,)", R"("scoring": true, "x": 1,)")),
             Catch::Contains("x is not a field of this object"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("level": 2)", R"("level": 5)")),
             Catch::Contains("tags.level must be an integer from 0 to 4"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("time_limit_s": 2.5)", R"("time_limit_s": 0)")),
             Catch::Contains("limits.time_limit_s must be in (0, 60]"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("memory_bytes": 67108864)", R"("memory_bytes": 5)")),
             Catch::Contains("limits.memory_bytes must be at least 8 MiB"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("cpp": )", R"("cobol": )")),
             Catch::Contains("starter_code.cobol names unknown language \"cobol\""));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("kind": "float")", R"("kind": "fuzzy")")),
             Catch::Contains("checker.kind unknown checker \"fuzzy\""));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("kind": "float")", R"("kind": "custom")")),
             Catch::Contains("checker.program is required for kind \"custom\""));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("AAH/iVBO")", R"("AAH/iVB")")),
             Catch::Contains("assets[0].data must be standard padded base64"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("images/x.png", "data")", R"("../x.png", "data")")),
             Catch::Contains("assets[0].path must not have empty"));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("tests": [)", R"("tests": 1, "t": [)")),
             Catch::Contains("tests must be an array"));
  CHECK_THAT(JsonFault(kFullJson, "other"),
             Catch::Contains("id \"twice\" differs from the path's \"other\""));
  CHECK_THAT(JsonFault(Replace(kFullJson, R"("twice")", R"("Twice!")")),
             Catch::Contains("problem id 'Twice!' must match"));
  CHECK_THAT(JsonFault(R"({"id":"e","title":"E","tests":[]})"),
             Catch::Contains("tests must hold at least one test"));
}

TEMPLATE_TEST_CASE("problems: Create refuses a taken id, Put replaces, admins only",
                   "[problems][admin]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w(TestType::Create());
  const Problem twice = Must(ProblemFromJson(kFullJson));
  CHECK(Failure(w.problems->Create(w.user, twice)).code() == Error::Code::kPermissionDenied);
  CHECK(Failure(w.problems->RequireAdmin(w.user)).code() == Error::Code::kPermissionDenied);
  Must(w.problems->RequireAdmin(w.admin));
  const Problem created = Must(w.problems->Create(w.admin, twice));
  CHECK(created.created_at > 0);

  Problem again = twice;
  again.title = "Twice again";
  const Error taken = Failure(w.problems->Create(w.admin, again));
  CHECK(taken.code() == Error::Code::kAlreadyExists);
  CHECK(Must(w.problems->ForGrading("twice")).title == "Twice");  // nothing changed

  const Problem replaced = Must(w.problems->Put(w.admin, again));
  CHECK(replaced.created_at == created.created_at);
  Problem stored = Must(w.problems->ForGrading("twice"));
  stored.created_at = stored.updated_at = again.created_at = again.updated_at = 0;
  CHECK(stored == again);  // every field, assets' bytes included, as the JSON gave them
}

TEMPLATE_TEST_CASE("problems: an uploaded package zip imports as the CLI's importer reads it",
                   "[problems][admin]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w(TestType::Create());
  const PackageCaps caps;
  const std::string hello = ZipOf("hello", "hello/");

  CHECK(Failure(w.problems->Import(w.user, hello, {}, caps)).code() ==
        Error::Code::kPermissionDenied);
  // Named after the zip's top folder, or as asked.
  const ImportedProblem imported = Must(w.problems->Import(w.admin, hello, {}, caps));
  CHECK(imported.problem.id == "hello");
  CHECK(imported.format == PackageFormat::kKattisLegacy);
  Problem expected = Must(ImportPackage(kExamples / "hello")).problem;
  Problem stored = Must(w.problems->ForGrading("hello"));
  stored.created_at = stored.updated_at = 0;
  CHECK(stored == expected);
  ProblemImportOptions renamed;
  renamed.id = "hello2";
  CHECK(Must(w.problems->Import(w.admin, hello, renamed, caps)).problem.id == "hello2");

  // A zip of the files themselves has no folder to name the problem after.
  const std::string flat = ZipOf("sum", "");
  CHECK_THAT(Failure(w.problems->Import(w.admin, flat, {}, caps)).message(),
             Catch::Contains("give ?id="));
  ProblemImportOptions sum;
  sum.id = "sum";
  const ImportedProblem ours = Must(w.problems->Import(w.admin, flat, sum, caps));
  CHECK(ours.format == PackageFormat::kCodeyard);
  CHECK(ours.problem.assets == Must(ImportPackage(kExamples / "sum")).problem.assets);

  // The caps of problems.max_package_*: the upload itself, then its contents.
  PackageCaps tiny;
  tiny.max_total_bytes = 64;
  const Error too_big = Failure(w.problems->Import(w.admin, hello, {}, tiny));
  CHECK(too_big.code() == Error::Code::kResourceExhausted);
  CHECK_THAT(too_big.message(), Catch::Contains("problems.max_package_bytes"));
  PackageCaps few;
  few.max_files = 2;
  CHECK(Failure(w.problems->Import(w.admin, hello, {}, few)).code() ==
        Error::Code::kResourceExhausted);
  CHECK_THAT(Failure(w.problems->Import(w.admin, "not a zip", {}, caps)).message(),
             Catch::Contains("give ?id="));
  ProblemImportOptions junk_named;
  junk_named.id = "junk";
  CHECK(Failure(w.problems->Import(w.admin, "not a zip", junk_named, caps)).code() ==
        Error::Code::kInvalidArgument);
}

TEMPLATE_TEST_CASE("problems: the solved filter joins the caller's progress, in keyset pages",
                   "[problems][solved]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w(TestType::Create());
  for (const char* name : {"average", "closest", "guess", "hello", "sortlines", "sum"}) {
    Must(w.problems->Put(w.admin, Must(ImportPackage(kExamples / name)).problem));
  }
  Must(store::Transact(w.platform->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    // The user solved closest, guess and sum, tried hello; the admin solved hello.
    for (const char* id : {"closest", "guess", "sum"}) {
      if (auto r = store::progress::Record(tx, w.user, id, 1, 1, true, 10); !r) return r;
    }
    if (auto r = store::progress::Record(tx, w.user, "hello", 0, 1, false, 10); !r) return r;
    return store::progress::Record(tx, w.admin, "hello", 1, 1, true, 10);
  }));
  ProblemListRequest solved;
  solved.solved = true;
  solved.page.limit = 2;
  const Page<ProblemSummary> first = Must(w.problems->List(w.user, solved));
  CHECK(Ids(first) == std::vector<std::string>{"closest", "guess"});
  REQUIRE(first.next_cursor);
  solved.page.cursor = *first.next_cursor;
  const Page<ProblemSummary> second = Must(w.problems->List(w.user, solved));
  CHECK(Ids(second) == std::vector<std::string>{"sum"});
  CHECK_FALSE(second.next_cursor);

  ProblemListRequest unsolved;
  unsolved.solved = false;
  CHECK(Ids(Must(w.problems->List(w.user, unsolved))) ==
        std::vector<std::string>{"average", "hello", "sortlines"});
  CHECK(Ids(Must(w.problems->List(w.admin, unsolved))) ==
        std::vector<std::string>{"average", "closest", "guess", "sortlines", "sum"});
  // With the other filters.
  unsolved.topic = "loops";
  CHECK(Ids(Must(w.problems->List(w.user, unsolved))) == std::vector<std::string>{"average"});
  // Nobody has solved anything anonymously.
  solved.page = {};
  CHECK(Must(w.problems->List("", solved)).items.empty());
  CHECK(Failure(w.problems->ListAsOperator(solved)).code() == Error::Code::kInvalidArgument);
}

TEMPLATE_TEST_CASE("submissions: lists page in SQL by the jobs' problem column, pages full",
                   "[submissions][list]", CODEYARD_STORAGE_BACKENDS) {
  AdminWorld w(TestType::Create());
  Must(w.problems->Put(w.admin, Must(ImportPackage(kExamples / "hello")).problem));
  Must(w.problems->Put(w.admin, Must(ImportPackage(kExamples / "sum")).problem));
  // Interleaved: run jobs, the user's grade jobs to two problems, another user's.
  Must(store::Transact(w.platform->storage(), TxKind::kWrite, [&](Transaction& tx) -> Result<void> {
    int64_t at = 1000;
    auto add = [&](const std::string& owner, const std::string& kind,
                   const std::string& problem) -> Result<void> {
      Job job;
      job.id = NewUuid();
      job.owner_id = owner;
      job.kind = kind;
      job.max_attempts = 3;
      job.created_at = at++;
      if (kind == kGradeJobKind) {
        GradeJob grade;
        grade.problem = problem;
        grade.submission.language = "python";
        FileData main;
        main.path = "main.py";
        main.content = "print(1)";
        grade.submission.files.push_back(main);
        job.payload = EncodeGradeJob(grade);
        job.problem_id = problem;
      } else {
        job.payload = "{}";
      }
      return store::jobs::Insert(tx, job);
    };
    for (int i = 0; i < 5; ++i) {
      for (auto r : {add(w.user, "run", ""), add(w.user, std::string(kGradeJobKind), "hello"),
                     add(w.admin, std::string(kGradeJobKind), "hello"),
                     add(w.user, std::string(kGradeJobKind), i % 2 ? "sum" : "hello")}) {
        if (!r) return r;
      }
    }
    return {};
  }));
  Submissions submissions(w.platform, nullptr, w.problems);
  auto all_pages = [&](SubmissionListRequest request) {
    std::vector<std::size_t> sizes;
    std::vector<std::string> problems;
    int64_t last_created = INT64_MAX;
    for (;;) {
      const Page<SubmissionView> page = Must(submissions.List(w.user, request));
      sizes.push_back(page.items.size());
      for (const SubmissionView& v : page.items) {
        CHECK(v.created_at < last_created);  // newest first, no repeats
        last_created = v.created_at;
        CHECK(v.language == "python");
        problems.push_back(v.problem);
      }
      if (!page.next_cursor) break;
      request.page.cursor = *page.next_cursor;
    }
    return std::pair(sizes, problems);
  };
  SubmissionListRequest all;
  all.page.limit = 4;
  const auto [all_sizes, all_problems] = all_pages(all);
  CHECK(all_sizes == std::vector<std::size_t>{4, 4, 2});  // 10 grade jobs; run jobs left out
  SubmissionListRequest sums;
  sums.page.limit = 1;
  sums.problem = "sum";
  const auto [sum_sizes, sum_problems] = all_pages(sums);
  CHECK(sum_sizes == std::vector<std::size_t>{1, 1});
  CHECK(sum_problems == std::vector<std::string>{"sum", "sum"});
  SubmissionListRequest bad;
  bad.page.cursor = "nonsense";
  CHECK(Failure(submissions.List(w.user, bad)).code() == Error::Code::kInvalidArgument);
}

}  // namespace codeyard::testing
