// Tidy exports of a study's results store: CSV and JSON, one row per stored value.
#pragma once

#include <filesystem>

#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"

namespace brainalign::study {

// Writes into `dir` (each file atomically): results.csv (model, checkpoint, step, layer,
// dataset, analysis, protocol, roi, level, target, value, sem), units.csv (one row per unit
// with its provenance), task_units.csv (one row per downstream task unit with its score and
// provenance), downstream.csv (model, task, score, source: the scores the analyses use,
// performance_scores()), ceiling.csv (dataset, analysis, protocol, roi, value, sem, n_subjects,
// n_subjects_dropped, roi_applied: the stored noise ceilings) and results.json (all of them,
// the ceilings with their per-subject values, and the schema version).
void export_results(const Study& study, const ResultsStore& store,
                    const std::filesystem::path& dir);

}  // namespace brainalign::study