// Pretraining dynamics: a checkpoint series' alignment per checkpoint and layer (whole
// dataset and per ROI) and its computed downstream task scores per checkpoint, optionally
// smoothed over checkpoints by a Savitzky-Golay filter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"

namespace brainalign::study {

struct DynamicsCurve {
  std::string model, dataset, analysis, protocol, roi;  // tasks: dataset = the task,
                                                        // analysis = "downstream"
  std::string layer;  // a layer, "best" for an analysis without per-layer values, "score"
  std::vector<std::int64_t> steps;
  std::vector<std::string> checkpoints;
  std::vector<double> values;
  std::vector<double> smoothed;  // empty when the curve is shorter than the window
};

// Curves of the study's checkpoint series (those named in [dynamics], else all): per-layer
// values where the analysis stores them (layerwise RSA), else the overall value; then one
// curve per computed task and protocol (the task units of the study's current protocol).
std::vector<DynamicsCurve> pretraining_dynamics(const Study& study,
                                                const std::vector<TidyResult>& results,
                                                const std::vector<TaskRecord>& tasks = {});

}  // namespace brainalign::study