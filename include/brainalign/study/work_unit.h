// The units of work of a study: one (model, checkpoint, dataset, analysis, protocol, ROI)
// each, scored and stored as a whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brainalign/study/study_file.h"

namespace brainalign {

struct WorkUnit {
  std::string model;
  std::string checkpoint;  // empty for a model without checkpoints
  std::int64_t step = -1;
  std::string dataset;
  std::string analysis;    // the study's analysis name
  std::string protocol;
  std::string roi;         // empty: the whole dataset

  // model|checkpoint|dataset|analysis|protocol|roi: the unit's identity in the store.
  std::string key() const;
};

// Every unit of the study in a fixed order (models, checkpoints, datasets, analyses,
// protocols, ROIs, as listed). `component_datasets[i]` says whether dataset i holds
// components: a components analysis runs only on those, voxelwise and RSA on the others
// (unless an analysis names its datasets).
std::vector<WorkUnit> plan_units(const Study& study, const std::vector<bool>& component_datasets);

}  // namespace brainalign
