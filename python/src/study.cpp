// Studies from Python: run, export and report a study file, as `brainalign study`.
#include <pybind11/stl.h>

#include "bindings.h"
#include "brainalign/report/study_report.h"
#include "brainalign/study/process_group.h"
#include "brainalign/study/study_analyses.h"
#include "brainalign/study/study_export.h"
#include "brainalign/study/study_file.h"
#include "brainalign/study/study_inputs.h"
#include "brainalign/study/study_runner.h"

namespace brainalign::python {
namespace {

std::filesystem::path output_folder(const study::Study& study, py::handle out,
                                    const char* fallback) {
  return out.is_none() ? study.output / fallback : std::filesystem::path(path_string(out));
}

}  // namespace

void register_study(py::module_& m) {
  m.def(
      "study_run",
      [](py::handle path, py::object threads) {
        const std::string where = path_string(path);
        study::StudyRunSummary summary;
        {
          py::gil_scoped_release release;
          study::Study study = study::load_study(where);
          study::list_model_series(study);         // series never listed here: listed once, kept
          (void)study::fetch_study_inputs(study);  // what cannot be fetched fails its units
          study::ProcessGroup group;
          study::StudyRunOptions options;
          if (!threads.is_none()) {
            py::gil_scoped_acquire acquire;
            options.threads = threads.cast<int>();
          }
          summary = study::run_study(study, group, options);
        }
        py::list failures;
        for (const auto& f : summary.failures)
          failures.append(py::dict(py::arg("unit") = f.unit_key, py::arg("kind") = f.kind,
                                   py::arg("message") = f.message));
        return py::dict(py::arg("units") = summary.units,
                        py::arg("task_units") = summary.task_units,
                        py::arg("already") = summary.already,
                        py::arg("computed") = summary.computed, py::arg("failures") = failures);
      },
      py::arg("study"), py::arg("threads") = py::none(),
      R"(Computes every unit of a study file (TOML) that its store lacks, as
`brainalign study run`: resumable, the same numbers whatever was stored before. Returns the
counts: units (alignment and task units), task_units, already (stored before), computed, and
failures: the units that could not be computed ({unit, kind: input or io, message}), which
did not stop the others.)");
  m.def(
      "study_export",
      [](py::handle path, py::object out) {
        const study::Study study = study::load_study(path_string(path));
        const auto folder = output_folder(study, out, "export");
        py::gil_scoped_release release;
        study::ResultsStore store(study::results_store_path(study));
        study::export_results(study, store, folder);
        study::write_study_analyses(study::analyse_study(study, store), folder);
        return folder.string();
      },
      py::arg("study"), py::arg("out") = py::none(),
      R"(Writes the study's store as tidy CSV and JSON plus the analyses (table1.csv,
overall.csv, dynamics.csv), as `brainalign study export`; returns the folder (default:
<study folder>/export).)");
  m.def(
      "study_report",
      [](py::handle path, py::object out) {
        const study::Study study = study::load_study(path_string(path));
        const auto folder = output_folder(study, out, "report");
        py::gil_scoped_release release;
        study::ResultsStore store(study::results_store_path(study));
        report::write_study_report(study, store, folder);
        return (folder / "index.html").string();
      },
      py::arg("study"), py::arg("out") = py::none(),
      R"(Writes the study's self-contained HTML report and figures, as
`brainalign study report`; returns the page's path (default folder: <study folder>/report).)");
}

}  // namespace brainalign::python
