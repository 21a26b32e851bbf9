// Pretraining dynamics: a checkpoint series' alignment per checkpoint and layer (whole
// dataset and per ROI), optionally smoothed over checkpoints by a Savitzky-Golay filter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"

namespace brainalign {

struct DynamicsCurve {
  std::string model, dataset, analysis, protocol, roi;
  std::string layer;  // a layer, or "best" for an analysis that reports no per-layer values
  std::vector<std::int64_t> steps;
  std::vector<std::string> checkpoints;
  std::vector<double> values;
  std::vector<double> smoothed;  // empty when the curve is shorter than the window
};

// Curves of the study's checkpoint series (those named in [dynamics], else all): per-layer
// values where the analysis stores them (layerwise RSA), else the overall value.
std::vector<DynamicsCurve> pretraining_dynamics(const Study& study,
                                                const std::vector<TidyResult>& results);

}  // namespace brainalign
