// A model's time-averaged layers for every clip of a HEAR task, extracted through the feature
// cache (so another protocol or seed extracts nothing again), and the per-layer PCA that makes
// layers of different widths combinable.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/features/extract.h"
#include "brainalign/hear/hear_task.h"
#include "brainalign/models/model.h"

namespace brainalign::hear {

struct TaskEmbeddings {
  std::vector<std::string> layers;
  int sample_rate = 0;  // the task's audio folder read
  // split name -> per layer, clips x width (clips in the split's order)
  std::map<std::string, std::vector<Matrix>> splits;
  int computed = 0;
  int from_cache = 0;
};

// Extracts every clip of every split from the rate folder task_sample_rate picks (resampled
// by the model's prepare()), mean-pooled over time.
TaskEmbeddings embed_task(const models::Model& model, const HearTask& task,
                          const features::ExtractOptions& options = {});

// Per layer: a PCA fitted on `train` (centred on its mean) keeping min(train rows, the smallest
// width) components, applied to every matrix of `apply`. When every layer has the same width
// nothing changes. Each component's sign makes its largest-magnitude loading positive.
struct LayerPca {
  std::vector<Vector> means;
  std::vector<Matrix> components;  // width x kept, per layer
  bool identity = true;
  Matrix transform(std::size_t layer, const Matrix& values) const;
};
LayerPca fit_layer_pca(const std::vector<Matrix>& train_layers);

}  // namespace brainalign::hear
