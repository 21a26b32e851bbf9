// The paper's analyses of a study's store, as tables: alignment versus performance
// (table1.csv, one row per metric, performance measure and subset) and pretraining dynamics
// (dynamics.csv, one row per curve point).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "brainalign/study/alignment_performance.h"
#include "brainalign/study/pretraining_dynamics.h"

namespace brainalign::study {

struct StudyAnalyses {
  AlignmentPerformance alignment_performance;
  std::vector<DynamicsCurve> dynamics;
};

StudyAnalyses analyse_study(const Study& study, const ResultsStore& store);

// table1.csv, overall.csv (model, tasks..., overall) and dynamics.csv into `dir`.
void write_study_analyses(const StudyAnalyses& analyses, const std::filesystem::path& dir);

// The same as JSON (for the report and results.json).
nlohmann::json to_json(const StudyAnalyses& analyses);

}  // namespace brainalign::study