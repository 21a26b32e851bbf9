// Tidy exports of a study's results store: CSV and JSON, one row per stored value.
#pragma once

#include <filesystem>

#include "brainalign/study/results_store.h"

namespace brainalign {

// Writes into `dir` (each file atomically): results.csv (model, checkpoint, step, layer,
// dataset, analysis, protocol, roi, level, target, value, sem), units.csv (one row per unit
// with its provenance), downstream.csv (model, task, score) and results.json (all three and
// the schema version).
void export_results(const ResultsStore& store, const std::filesystem::path& dir);

}  // namespace brainalign
