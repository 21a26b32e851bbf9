// The report of a study: one self-contained HTML page (works offline: the Vega, Vega-Lite and
// Vega-Embed builds bundled into the binary and the data are inlined) with per-model bars with
// error bars per dataset and metric, per-component bars, alignment-versus-performance scatter
// plots with fit lines and r, checkpoint curves per layer, the correlation table as a heat
// map, and sortable tables; next to it the tables as CSV, each chart's Vega-Lite spec and each
// chart as a static figure (SVG and PNG, drawn with cairo).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brainalign/study/study_analyses.h"
#include "brainalign/study/study_file.h"

namespace brainalign::report {

struct ReportChart {
  std::string id, title;
  nlohmann::json spec;  // Vega-Lite
};

// The charts the study's results support (a chart without data is left out).
std::vector<ReportChart> report_charts(const study::Study& study, const study::ResultsStore& store,
                                       const study::StudyAnalyses& analyses);

// Writes DIR/index.html, DIR/charts/<id>.vl.json, DIR/figures/<id>.svg and .png (linked from
// the page) and the analyses' CSVs. The chart libraries come from the binary
// (chart_libraries()); IoError when this build bundled none.
void write_study_report(const study::Study& study, const study::ResultsStore& store,
                        const std::filesystem::path& dir);

}  // namespace brainalign::report