// Problem packages: every example of examples/problems imports into the model it describes,
// round-trips through both formats, zips read like folders, hostile packages are refused with
// the cap named, and the Problems service stores them on both backends without ever handing
// hidden tests to a reader.
#include <zip.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "codeyard/id.hpp"
#include "codeyard/platform.hpp"
#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "core/store/blobs.hpp"
#include "core/store/transact.hpp"
#include "core/store/users.hpp"
#include "services/must.hpp"
#include "storage/backend_fixture.hpp"

namespace codeyard::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = CODEYARD_EXAMPLE_PROBLEMS;

ProblemPackage Load(const std::string& name) { return Must(ImportPackage(kExamples / name)); }

const ExampleSubmission* Find(const ProblemPackage& p, const std::string& name) {
  for (const auto& s : p.submissions) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void WriteText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A minimal legacy package in `dir`.
void MinimalPackage(const fs::path& dir) {
  WriteText(dir / "problem.yaml", "name: Tiny\n");
  WriteText(dir / "data/secret/1.in", "1\n");
  WriteText(dir / "data/secret/1.ans", "1\n");
}

// A zip of `entries` (name -> content); `symlink` names an entry stored as a Unix symlink.
void WriteZip(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& entries,
              const std::string& symlink = "") {
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  REQUIRE(z != nullptr);
  for (const auto& [name, content] : entries) {
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    const zip_int64_t index = zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE);
    REQUIRE(index >= 0);
    if (name == symlink) {
      REQUIRE(zip_file_set_external_attributes(z, static_cast<zip_uint64_t>(index), 0,
                                               ZIP_OPSYS_UNIX, (0120777u) << 16) == 0);
    }
  }
  REQUIRE(zip_close(z) == 0);
}

std::string ErrorOf(const Result<ProblemPackage>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().message();
}

}  // namespace

TEST_CASE("packages: hello (Kattis legacy) imports as its files say", "[packages]") {
  const ProblemPackage p = Load("hello");
  CHECK(p.format == PackageFormat::kKattisLegacy);
  CHECK(p.problem.id == "hello");
  CHECK(p.problem.title == "Hello, World!");
  CHECK(p.problem.checker.kind == CheckerKind::kTrimmed);
  CHECK(p.problem.checker.case_sensitive);
  REQUIRE(p.problem.tests.size() == 2);
  CHECK(p.problem.tests[0].name == "sample/1");
  CHECK(p.problem.tests[0].is_public);
  CHECK(p.problem.tests[1].name == "secret/1");
  CHECK_FALSE(p.problem.tests[1].is_public);
  CHECK(p.problem.tests[1].expected_output == "Hello, World!\n");
  REQUIRE(p.fixed_time_limit_s);
  CHECK(*p.fixed_time_limit_s == 1.0);
  CHECK(p.problem.limits.memory_bytes == uint64_t{256} << 20);
  CHECK(p.problem.limits.output_bytes == uint64_t{1} << 20);
  CHECK(p.problem.tags.topics == std::vector<std::string>{"basics", "output"});
  CHECK(p.problem.statement_markdown.starts_with("Print the line"));
  const ExampleSubmission* ce = Find(p, "compile_error/missing_semicolon.c");
  REQUIRE(ce);
  CHECK(ce->expected_verdict == "compile_error");
  CHECK(ce->language == "c");
  REQUIRE(Find(p, "accepted/hello.py"));
  CHECK(Find(p, "accepted/hello.py")->language == "python");
  CHECK(Find(p, "wrong_answer/lowercase.py")->expected_verdict == "wrong_answer");
}

TEST_CASE("packages: average (Kattis 2023-07, LaTeX, float tolerance)", "[packages]") {
  const ProblemPackage p = Load("average");
  CHECK(p.format == PackageFormat::kKattis2023);
  CHECK(p.problem.title == "Average");
  CHECK(p.problem.checker.kind == CheckerKind::kFloat);
  CHECK(p.problem.checker.absolute_tolerance == 1e-6);
  CHECK(p.problem.checker.relative_tolerance == 1e-6);
  CHECK_FALSE(p.problem.checker.case_sensitive);
  CHECK(p.problem.tags.topics == std::vector<std::string>{"floats", "loops"});
  // LaTeX made readable: environments as headings, math kept, commands gone.
  const std::string& s = p.problem.statement_markdown;
  CHECK(s.find("## Input") != std::string::npos);
  CHECK(s.find("## Output") != std::string::npos);
  CHECK(s.find("*arithmetic mean*") != std::string::npos);
  CHECK(s.find("$1 \\le n \\le 1000$") != std::string::npos);
  CHECK(s.find("\\begin") == std::string::npos);
  CHECK(s.find("problemname") == std::string::npos);
  CHECK(p.problem.tests.size() == 4);
  CHECK(p.time_multiplier == 2);
  CHECK(Find(p, "run_time_error/index_error.py")->expected_verdict == "runtime_error");
}

TEST_CASE("packages: guess is interactive with a Python interactor", "[packages]") {
  const ProblemPackage p = Load("guess");
  REQUIRE(p.problem.interactor);
  CHECK(p.problem.interactor->language == "python");
  CHECK(p.problem.interactor->files.front().path == "interactor.py");
  CHECK(p.problem.checker == CheckerSpec{});
  CHECK(p.problem.tests.size() == 4);
  CHECK(Find(p, "time_limit_exceeded/never_guesses.c")->expected_verdict == "time_limit_exceeded");
}

TEST_CASE("packages: sum (our format) has groups with points and starter code", "[packages]") {
  const ProblemPackage p = Load("sum");
  CHECK(p.format == PackageFormat::kCodeyard);
  CHECK(p.problem.scoring);
  REQUIRE(p.problem.groups.size() == 2);
  CHECK(p.problem.groups[0] == TestGroup{"small", 30});
  CHECK(p.problem.groups[1] == TestGroup{"large", 70});
  CHECK(MaxScore(p.problem) == 100);
  CHECK(p.problem.tests.size() == 5);
  CHECK(p.problem.tests[0].is_public);
  CHECK(p.problem.tests[3].group == "large");
  CHECK(p.problem.checker.kind == CheckerKind::kTokens);
  CHECK(p.problem.tags.level == 1);
  CHECK(p.problem.tags.age_group == "12-14");
  CHECK(p.problem.starter_code.contains("python"));
  CHECK(p.problem.starter_code.contains("cpp"));
  REQUIRE(p.problem.assets.size() == 1);
  CHECK(p.problem.assets[0].path == "images/sum.svg");
  CHECK(Find(p, "wrong_answer/int32.c")->expected_score == 30);
  CHECK(Find(p, "runtime_error/fixed_buffer.c")->expected_verdict == "runtime_error");
  CHECK(Find(p, "time_limit_exceeded/quadratic.py"));
}

TEST_CASE("packages: sortlines and closest (unordered lines, custom partial checker)",
          "[packages]") {
  const ProblemPackage lines = Load("sortlines");
  CHECK(lines.problem.checker.kind == CheckerKind::kUnorderedLines);
  CHECK(lines.problem.tests.size() == 3);
  CHECK(lines.problem.tests[0].is_public);
  CHECK_FALSE(lines.problem.tests[1].is_public);

  const ProblemPackage closest = Load("closest");
  CHECK(closest.problem.checker.kind == CheckerKind::kCustom);
  REQUIRE(closest.problem.checker.program);
  CHECK(closest.problem.checker.program->language == "python");
  CHECK(MaxScore(closest.problem) == 30);
  CHECK(Find(closest, "partially_accepted/floor.py")->expected_score == 25);
}

TEST_CASE("packages: every example round-trips through both formats", "[packages]") {
  for (const char* name : {"hello", "average", "guess", "sum", "sortlines", "closest"}) {
    INFO(name);
    const ProblemPackage original = Load(name);
    TempDir dir;
    const fs::path ours = dir.path() / name;
    Must(ExportProblemFolder(original, ours));
    const ProblemPackage back = Must(ImportProblemFolder(ours));
    CHECK(back.problem == original.problem);
    CHECK(back.submissions == original.submissions);
    if (original.format != PackageFormat::kCodeyard) {
      // Kattis-shaped problems come back equal from a Kattis export too.
      const fs::path kattis = dir.path() / "k" / name;
      Must(ExportKattisPackage(original, kattis));
      const ProblemPackage again = Must(ImportKattisPackage(kattis));
      CHECK(again.problem == original.problem);
    }
  }
  // Exporting over a non-empty folder is refused.
  TempDir dir;
  WriteText(dir.path() / "x/keep.txt", "x");
  const auto refused = ExportProblemFolder(Load("hello"), dir.path() / "x");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == Error::Code::kAlreadyExists);
}

TEST_CASE("packages: a zip reads like its folder, named after its base name", "[packages]") {
  TempDir dir;
  WriteZip(dir.path() / "Tiny.zip", {{"tiny/problem.yaml", "name: Tiny\n"},
                                     {"tiny/data/secret/1.in", "1\n"},
                                     {"tiny/data/secret/1.ans", "1\n"}});
  const ProblemPackage p = Must(ImportKattisPackage(dir.path() / "Tiny.zip"));
  CHECK(p.problem.id == "tiny");
  CHECK(p.problem.title == "Tiny");
  REQUIRE(p.problem.tests.size() == 1);
  CHECK(p.problem.tests[0].points == 1);
}

TEST_CASE("packages: hostile packages are refused with the cap named", "[packages]") {
  TempDir dir;
  // A path climbing out of the package.
  WriteZip(dir.path() / "climb.zip", {{"problem.yaml", "name: x\n"}, {"../evil", "x"}});
  CHECK(ErrorOf(ImportKattisPackage(dir.path() / "climb.zip")).find("cap paths") !=
        std::string::npos);
  // A symlink entry.
  WriteZip(dir.path() / "link.zip", {{"problem.yaml", "name: x\n"}, {"data", "/etc"}}, "data");
  CHECK(ErrorOf(ImportKattisPackage(dir.path() / "link.zip")).find("cap symlinks") !=
        std::string::npos);
  // A zip bomb: 64 MiB of zeros compresses about 1000 times.
  WriteZip(dir.path() / "bomb.zip",
           {{"problem.yaml", "name: x\n"}, {"data/secret/1.in", std::string(64 << 20, '\0')}});
  CHECK(ErrorOf(ImportKattisPackage(dir.path() / "bomb.zip")).find("max_compression_ratio") !=
        std::string::npos);
  // A folder symlink pointing outside.
  const fs::path out = dir.path() / "out";
  MinimalPackage(out);
  fs::create_symlink("/etc/hostname", out / "data/secret/2.in");
  CHECK(ErrorOf(ImportKattisPackage(out)).find("cap symlinks") != std::string::npos);
  // Sizes and counts.
  const fs::path big = dir.path() / "big";
  MinimalPackage(big);
  PackageCaps small;
  small.max_file_bytes = 4;
  WriteText(big / "data/secret/2.in", "12345");
  WriteText(big / "data/secret/2.ans", "1");
  CHECK(ErrorOf(ImportKattisPackage(big, small)).find("max_file_bytes") != std::string::npos);
  PackageCaps few;
  few.max_files = 2;
  CHECK(ErrorOf(ImportKattisPackage(big, few)).find("max_files") != std::string::npos);
  PackageCaps total;
  total.max_total_bytes = 10;
  CHECK(ErrorOf(ImportKattisPackage(big, total)).find("max_total_bytes") != std::string::npos);
}

TEST_CASE("packages: the caps come from problems.* configuration keys", "[packages]") {
  ConfigInputs inputs;
  inputs.flags = {{"problems.max_package_files", "2"}, {"problems.max_zip_ratio", "40"}};
  const Config config = Must(LoadConfig(inputs));
  const PackageCaps caps = PackageCapsFrom(config);
  CHECK(caps.max_files == 2);
  CHECK(caps.max_compression_ratio == 40);
  CHECK(caps.max_total_bytes == PackageCaps{}.max_total_bytes);
  TempDir dir;
  MinimalPackage(dir.path() / "three");
  CHECK(ErrorOf(ImportPackage(dir.path() / "three", caps)).find("max_files") != std::string::npos);
  inputs.flags = {{"problems.max_zip_ratio", "1"}};
  CHECK_FALSE(LoadConfig(inputs));
}

TEST_CASE("packages: faults name the file", "[packages]") {
  TempDir dir;
  const fs::path p = dir.path() / "broken";
  MinimalPackage(p);
  WriteText(p / "data/secret/2.in", "2\n");
  CHECK(ErrorOf(ImportKattisPackage(p)).find("data/secret/2.in: has no answer file") !=
        std::string::npos);
  fs::remove(p / "data/secret/2.in");
  WriteText(p / "problem.yaml", "name: [unclosed\n");
  CHECK(ErrorOf(ImportKattisPackage(p)).find("problem.yaml: invalid YAML") != std::string::npos);
  WriteText(p / "problem.yaml", "name: x\nlimits:\n  memory: -1\n");
  CHECK(ErrorOf(ImportKattisPackage(p)).find("limits.memory must be > 0") != std::string::npos);
  // fuzz (problem_package): a size past what bytes can hold was converted to uint64_t out of
  // range (UBSan: 5.36987e+86 is outside the range of representable values).
  WriteText(p / "problem.yaml", "name: x\nlimits:\n  memory: 5.36987e+86\n");
  CHECK(ErrorOf(ImportKattisPackage(p)).find("limits.memory must be > 0 and at most 1048576") !=
        std::string::npos);
  WriteText(p / "problem.yaml", "name: x\nlimits:\n  output: 1048577\n");
  CHECK(ErrorOf(ImportKattisPackage(p)).find("limits.output must be > 0") != std::string::npos);
  WriteText(p / "problem.yaml", "name: x\nvalidation: custom\n");
  CHECK(ErrorOf(ImportKattisPackage(p)).find("output_validators/") != std::string::npos);
  CHECK(ErrorOf(ImportKattisPackage(dir.path() / "absent")).find("does not exist") !=
        std::string::npos);
}

TEST_CASE("packages: our format's sizes are bounded before they become bytes", "[packages]") {
  TempDir dir;
  const fs::path p = dir.path() / "ours";
  WriteText(p / "tests/1.in", "1\n");
  WriteText(p / "tests/1.out", "1\n");
  for (const char* limits : {"memory_mib: 1e300", "memory_mib: -5", "output_mib: 2e6"}) {
    WriteText(p / "problem.yaml",
              std::string("codeyard_format: 1\ntitle: Ours\nlimits:\n  ") + limits + "\n");
    CHECK(ErrorOf(ImportProblemFolder(p)).find("must be > 0 and at most 1048576 (MiB)") !=
          std::string::npos);
  }
  WriteText(p / "problem.yaml",
            "codeyard_format: 1\ntitle: Ours\nlimits:\n  memory_mib: 64.5\n"
            "  output_mib: 1024\n");
  const ProblemPackage ok = Must(ImportProblemFolder(p));
  CHECK(ok.problem.limits.memory_bytes == (uint64_t{129} << 19));
  CHECK(ok.problem.limits.output_bytes == uint64_t{1} << 30);
}

TEST_CASE("packages: our format's level is an integer from 0 to 4", "[packages]") {
  TempDir dir;
  const fs::path p = dir.path() / "ours";
  WriteText(p / "tests/1.in", "1\n");
  WriteText(p / "tests/1.out", "1\n");
  // 4.4e55 was converted to int out of its range: undefined (fuzz problem_package).
  for (const char* level :
       {"44444444444444444444444444444444444444444444444444444444", "-1", "5", "2.5"}) {
    INFO(level);
    WriteText(p / "problem.yaml",
              std::string("codeyard_format: 1\ntitle: Ours\ntags: {level: ") + level + "}\n");
    CHECK(ErrorOf(ImportProblemFolder(p)).find("tags.level must be an integer from 0 to 4") !=
          std::string::npos);
  }
  WriteText(p / "problem.yaml", "codeyard_format: 1\ntitle: Ours\ntags: {level: .nan}\n");
  CHECK(ErrorOf(ImportProblemFolder(p)).find("level must be finite") != std::string::npos);
  WriteText(p / "problem.yaml", "codeyard_format: 1\ntitle: Ours\ntags: {level: 4}\n");
  CHECK(Must(ImportProblemFolder(p)).problem.tags.level == 4);
}

TEST_CASE("packages: time limits are computed as Kattis does", "[packages]") {
  ProblemPackage legacy;  // time_multiplier 5, whole seconds
  CHECK(ComputeTimeLimit(legacy, 0.05) == 1.0);
  CHECK(ComputeTimeLimit(legacy, 0.3) == 2.0);
  CHECK(ComputeTimeLimit(legacy, 0.4) == 2.0);
  ProblemPackage modern;
  modern.format = PackageFormat::kKattis2023;
  modern.time_multiplier = 2;
  modern.time_resolution_s = 0.5;
  CHECK(ComputeTimeLimit(modern, 0.5) == 1.0);
  CHECK(ComputeTimeLimit(modern, 0.6) == 1.5);
}

namespace {

struct ProblemWorld {
  explicit ProblemWorld(std::unique_ptr<TestDatabase> database) : db(std::move(database)) {
    Options o;
    o.storage = db->shared();
    auto opened = Platform::Open(o);
    if (!opened) FAIL("Platform::Open: " << opened.error().ToString());
    platform = std::shared_ptr<Platform>(std::move(*opened));
    problems = std::make_unique<Problems>(platform);
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
  std::unique_ptr<Problems> problems;
  std::string admin, user;
};

}  // namespace

TEMPLATE_TEST_CASE("problems: admins store, everyone reads the public part", "[problems]",
                   CODEYARD_STORAGE_BACKENDS) {
  ProblemWorld w(TestType::Create());
  Problem sum = Load("sum").problem;
  CHECK(Failure(w.problems->Put(w.user, sum)).code() == Error::Code::kPermissionDenied);
  CHECK(Failure(w.problems->Put("", sum)).code() == Error::Code::kPermissionDenied);
  const Problem stored = Must(w.problems->Put(w.admin, sum));
  CHECK(stored.created_at > 0);

  // The grader's view is the whole problem.
  Problem full = Must(w.problems->ForGrading("sum"));
  full.created_at = sum.created_at = 0;
  full.updated_at = sum.updated_at = 0;
  CHECK(full == sum);

  // A reader's view has no hidden test, and says how many there are.
  for (const std::string& who : {w.user, std::string()}) {
    const PublicProblem view = Must(w.problems->Get(who, "sum"));
    REQUIRE(view.problem.tests.size() == 1);
    CHECK(view.problem.tests[0].is_public);
    CHECK(view.hidden_tests == 4);
    CHECK(view.max_score == 100);
    CHECK(view.problem.statement_markdown == sum.statement_markdown);
    CHECK(view.problem.starter_code == sum.starter_code);
    CHECK(view.problem.assets == sum.assets);
  }
  // A custom checker's source is not part of the public view.
  Must(w.problems->Put(w.admin, Load("closest").problem));
  const PublicProblem closest = Must(w.problems->Get(w.user, "closest"));
  CHECK(closest.problem.checker.kind == CheckerKind::kCustom);
  CHECK_FALSE(closest.problem.checker.program);
  CHECK(Must(w.problems->ForGrading("closest")).checker.program);

  // Replacing keeps created_at; a private problem is not found for users.
  sum.is_public = false;
  sum.title = "Sum (draft)";
  const Problem replaced = Must(w.problems->Put(w.admin, sum));
  CHECK(replaced.created_at == stored.created_at);
  CHECK(Failure(w.problems->Get(w.user, "sum")).code() == Error::Code::kNotFound);
  CHECK(Must(w.problems->Get(w.admin, "sum")).problem.title == "Sum (draft)");

  // Delete: admins only.
  CHECK(Failure(w.problems->Delete(w.user, "sum")).code() == Error::Code::kPermissionDenied);
  Must(w.problems->Delete(w.admin, "sum"));
  CHECK(Failure(w.problems->ForGrading("sum")).code() == Error::Code::kNotFound);
  CHECK(Failure(w.problems->Delete(w.admin, "sum")).code() == Error::Code::kNotFound);
}

TEMPLATE_TEST_CASE("problems: list filters by level and topic in keyset pages", "[problems]",
                   CODEYARD_STORAGE_BACKENDS) {
  ProblemWorld w(TestType::Create());
  for (const char* name : {"hello", "average", "guess", "sum", "sortlines", "closest"}) {
    Must(w.problems->Put(w.admin, Load(name).problem));
  }
  ProblemListRequest all;
  all.page.limit = 4;
  const Page<ProblemSummary> first = Must(w.problems->List(w.user, all));
  REQUIRE(first.items.size() == 4);
  CHECK(first.items[0].id == "average");
  REQUIRE(first.next_cursor);
  all.page.cursor = *first.next_cursor;
  const Page<ProblemSummary> second = Must(w.problems->List(w.user, all));
  REQUIRE(second.items.size() == 2);
  CHECK(second.items[1].id == "sum");
  CHECK_FALSE(second.next_cursor);
  CHECK(second.items[1].hidden_tests == 4);
  CHECK(second.items[1].tags.topics == std::vector<std::string>{"loops", "overflow"});

  ProblemListRequest level;
  level.level = 1;
  const Page<ProblemSummary> by_level = Must(w.problems->List(w.user, level));
  REQUIRE(by_level.items.size() == 1);
  CHECK(by_level.items[0].id == "sum");
  ProblemListRequest topic;
  topic.topic = "loops";
  const Page<ProblemSummary> by_topic = Must(w.problems->List(w.user, topic));
  REQUIRE(by_topic.items.size() == 2);
  CHECK(by_topic.items[0].id == "average");
  CHECK(by_topic.items[1].id == "sum");
}

TEMPLATE_TEST_CASE("problems: equal test data is stored once and kept by collection", "[problems]",
                   CODEYARD_STORAGE_BACKENDS) {
  ProblemWorld w(TestType::Create());
  Problem a = Load("sortlines").problem;
  Must(w.problems->Put(w.admin, a));
  const auto count = [&] {
    return Must(store::Transact(w.platform->storage(), TxKind::kRead,
                                [](Transaction& tx) { return store::blobs::Count(tx); }));
  };
  const store::blobs::Totals once = count();
  a.id = "sortlines-copy";
  Must(w.problems->Put(w.admin, a));
  CHECK(count().count == once.count);
  CHECK(count().bytes == once.bytes);
  CHECK(Must(store::blobs::CollectAll(w.platform->storage())) == 0);
  Must(w.problems->Delete(w.admin, "sortlines"));
  Must(w.problems->Delete(w.admin, "sortlines-copy"));
  CHECK(Must(store::blobs::CollectAll(w.platform->storage())) == once.count);
}

// What `codeyard problems import|list|export` does through the library, on each backend: the
// operator stores without an admin, lists private problems too (in keyset pages), and an
// export of the stored problem reads back as the package it came from.
TEMPLATE_TEST_CASE("problems: the operator's import, list and export", "[problems][operator]",
                   CODEYARD_STORAGE_BACKENDS) {
  ProblemWorld w(TestType::Create());
  ProblemPackage sum = Load("sum");
  ProblemPackage hello = Load("hello");
  hello.problem.is_public = false;
  Must(w.problems->PutAsOperator(sum.problem));
  Must(w.problems->PutAsOperator(hello.problem));
  ProblemPackage bad = Load("average");
  bad.problem.id = "Not An Id";
  CHECK(Failure(w.problems->PutAsOperator(bad.problem)).code() == Error::Code::kInvalidArgument);

  ProblemListRequest request;
  request.page.limit = 1;
  std::vector<std::string> ids;
  for (;;) {
    const Page<ProblemSummary> page = Must(w.problems->ListAsOperator(request));
    REQUIRE(page.items.size() <= 1);
    for (const ProblemSummary& p : page.items) ids.push_back(p.id);
    if (!page.next_cursor) break;
    request.page.cursor = *page.next_cursor;
  }
  CHECK(ids == std::vector<std::string>{"hello", "sum"});
  // A user's list does not show the private one; the operator's does.
  CHECK(Must(w.problems->List(w.user, ProblemListRequest{})).items.size() == 1);

  TempDir dir;
  ProblemPackage out;
  out.problem = Must(w.problems->ForGrading("sum"));
  out.fixed_time_limit_s = out.problem.limits.time_limit_s;
  Must(ExportProblemFolder(out, dir.path() / "sum"));
  Problem back = Must(ImportProblemFolder(dir.path() / "sum")).problem;
  back.created_at = sum.problem.created_at = 0;
  back.updated_at = sum.problem.updated_at = 0;
  CHECK(back == sum.problem);
  CHECK(Failure(w.problems->ForGrading("nosuch")).code() == Error::Code::kNotFound);
}

}  // namespace codeyard::testing
