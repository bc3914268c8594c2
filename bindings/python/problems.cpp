// codeyard.Problems: the stored problem set (import a package folder, list, get, delete) and
// the Problem and ProblemSummary classes.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codeyard/problem_packages.hpp"
#include "codeyard/problem_store.hpp"
#include "common.hpp"
#include "wrappers.hpp"

namespace codeyard::python {

void AddProblems(py::module_& m) {
  py::class_<Problem>(m, "Problem", "A stored problem (hidden tests only for the operator).")
      .def_readonly("id", &Problem::id)
      .def_readonly("title", &Problem::title)
      .def_readonly("statement", &Problem::statement_markdown, "Markdown.")
      .def_readonly("is_public", &Problem::is_public)
      .def_readonly("scoring", &Problem::scoring)
      .def_property_readonly(
          "time_limit", [](const Problem& p) { return p.limits.time_limit_s; },
          "CPU seconds per test.")
      .def_property_readonly("memory_limit_mb",
                             [](const Problem& p) { return p.limits.memory_bytes >> 20; })
      .def_property_readonly("level", [](const Problem& p) { return p.tags.level; })
      .def_property_readonly("topics", [](const Problem& p) { return p.tags.topics; })
      .def_property_readonly("test_names",
                             [](const Problem& p) {
                               std::vector<std::string> names;
                               for (const TestCase& t : p.tests) names.push_back(t.name);
                               return names;
                             })
      .def_property_readonly("max_score", [](const Problem& p) { return MaxScore(p); })
      .def_readonly("starter_code", &Problem::starter_code, "language id -> source")
      .def("__repr__", [](const Problem& p) {
        return "<Problem id=" + Quote(p.id) + " title=" + Quote(p.title) +
               " tests=" + std::to_string(p.tests.size()) + ">";
      });

  py::class_<ProblemSummary>(m, "ProblemSummary", "A problem in a listing.")
      .def_readonly("id", &ProblemSummary::id)
      .def_readonly("title", &ProblemSummary::title)
      .def_property_readonly("level", [](const ProblemSummary& p) { return p.tags.level; })
      .def_property_readonly("topics", [](const ProblemSummary& p) { return p.tags.topics; })
      .def_readonly("is_public", &ProblemSummary::is_public)
      .def_readonly("public_tests", &ProblemSummary::public_tests)
      .def_readonly("hidden_tests", &ProblemSummary::hidden_tests)
      .def("__repr__", [](const ProblemSummary& p) {
        return "<ProblemSummary id=" + Quote(p.id) + " title=" + Quote(p.title) + ">";
      });

  using P = ProblemsService;
  py::class_<P, std::shared_ptr<P>>(
      m, "Problems",
      "The stored problems. Without user_id a call acts as the operator (the embedding "
      "application holds the storage); with it, as that user (public part only).")
      .def(
          "import_folder",
          [](P& p, const std::string& path, std::optional<double> time_limit) {
            return Blocking([&]() -> Result<Problem> {
              auto package = ImportPackage(path, p.caps);
              if (!package) return Fail(package.error());
              if (time_limit) {
                package->problem.limits.time_limit_s = *time_limit;
              } else if (!package->fixed_time_limit_s) {
                return Fail(Error::Code::kInvalidArgument,
                            "problems: " + path +
                                " fixes no time limit; give time_limit= (or compute one with "
                                "`codeyard problems import`)");
              }
              return p.service->PutAsOperator(std::move(package->problem));
            });
          },
          py::arg("path"), py::arg("time_limit") = py::none(),
          "Reads a problem folder (ours or a Kattis/ICPC package, or a .zip of one) and stores "
          "it, replacing one with the same id.")
      .def(
          "import_zip",
          [](P& p, const std::string& user_id, const py::object& data, const std::string& id,
             std::optional<double> time_limit) {
            const std::string zip = BytesOf(data);
            ProblemImportOptions options;
            options.id = id;
            options.time_limit_s = time_limit.value_or(0);
            return Blocking([&]() -> Result<Problem> {
              auto imported = p.service->Import(user_id, zip, options, p.caps);
              if (!imported) return Fail(imported.error());
              return std::move(imported->problem);
            });
          },
          py::arg("user_id"), py::arg("data"), py::arg("id") = "",
          py::arg("time_limit") = py::none(),
          "Admin only (py19b): stores a zipped package (the upload of POST "
          "/api/v1/problems/import). id: \"\" for the zip's top folder's name; time_limit: CPU "
          "seconds per test for a package that fixes none (else InvalidArgument).")
      .def(
          "list",
          [](P& p, const std::optional<std::string>& user_id, std::optional<int> level,
             std::optional<std::string> topic, std::optional<bool> solved) {
            return Blocking([&]() -> Result<std::vector<ProblemSummary>> {
              ProblemListRequest request;
              request.page.limit = kMaxPageLimit;
              request.level = level;
              request.topic = topic;
              request.solved = solved;
              std::vector<ProblemSummary> all;
              for (;;) {
                auto page = user_id ? p.service->List(*user_id, request)
                                    : p.service->ListAsOperator(request);
                if (!page) return Fail(page.error());
                for (ProblemSummary& s : page->items) all.push_back(std::move(s));
                if (!page->next_cursor) return all;
                request.page.cursor = *page->next_cursor;
              }
            });
          },
          py::arg("user_id") = py::none(), py::arg("level") = py::none(),
          py::arg("topic") = py::none(), py::arg("solved") = py::none(),
          "Every problem (the user's visible ones), by id; solved: only those the user solved "
          "(True) or not (False).")
      .def(
          "get",
          [](P& p, const std::string& id, const std::optional<std::string>& user_id) {
            return Blocking([&]() -> Result<Problem> {
              if (!user_id) return p.service->ForGrading(id);
              auto got = p.service->Get(*user_id, id);
              if (!got) return Fail(got.error());
              return got->problem;
            });
          },
          py::arg("problem_id"), py::kw_only(), py::arg("user_id") = py::none(),
          "The problem; NotFound when absent (or not visible to the user).")
      .def(
          "delete",
          [](P& p, const std::string& user_id, const std::string& id) {
            Blocking([&] { return p.service->Delete(user_id, id); });
          },
          py::arg("user_id"), py::arg("problem_id"), "Admin only.");
}

}  // namespace codeyard::python
