// Static figures of the report's charts, drawn natively with cairo: each chart as
// <dir>/<id>.svg and <dir>/<id>.png from one drawing routine per chart kind (per-model bars
// with error bars, per-component bars, alignment-versus-performance scatter plots with a
// least-squares line, checkpoint curves per layer, the correlation heat map), so both files
// carry the same drawing. The SVG also holds its title and, invisible but searchable and
// selectable, every label it draws as SVG text.
#pragma once

#include <filesystem>
#include <vector>

#include "brainalign/report/study_report.h"

namespace brainalign::report {

// Draws `chart` (from report_charts(); its id names the kind, its Vega-Lite spec's
// data.values hold what is drawn) as <dir>/<id>.svg and <dir>/<id>.png, each written
// atomically. InputError for a chart kind this drawing does not know; IoError when cairo
// fails.
void write_static_figure(const ReportChart& chart, const std::filesystem::path& dir);

// Every chart; creates `dir`.
void write_static_figures(const std::vector<ReportChart>& charts, const std::filesystem::path& dir);

}  // namespace brainalign::report