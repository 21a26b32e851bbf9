// The units of work of a study, each computed and stored as a whole: alignment units (model,
// checkpoint, dataset, analysis, protocol, ROI) and downstream task units (model, checkpoint,
// task, protocol) of the tasks the study computes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brainalign/study/study_file.h"

namespace brainalign::study {

struct WorkUnit {
  std::string model;       // empty for a unit of the dataset alone (a noise ceiling)
  std::string checkpoint;  // empty for a model without checkpoints
  std::int64_t step = -1;
  std::string dataset;
  std::string analysis;  // the study's analysis name
  std::string protocol;
  std::string roi;  // empty: the whole dataset

  // model|checkpoint|dataset|analysis|protocol|roi: the unit's identity in the store.
  std::string key() const;
  // A noise-ceiling unit: computed from the dataset alone, once for every model.
  bool ceiling() const { return model.empty(); }
};

// Every unit of the study in a fixed order (models, checkpoints, datasets, analyses,
// protocols, ROIs, as listed; then the noise ceilings: datasets, analyses, protocols, ROIs).
// `component_datasets[i]` says whether dataset i holds components: a components analysis runs only
// on those, voxelwise and RSA on the others (unless an analysis names its datasets).
std::vector<WorkUnit> plan_units(const Study& study, const std::vector<bool>& component_datasets);

struct TaskUnit {
  std::string model;
  std::string checkpoint;  // empty for a model without checkpoints
  std::int64_t step = -1;
  std::string task;      // the study's task name
  std::string protocol;  // pepino2025 or hear2021

  // model|checkpoint|task|protocol: the unit's identity in the store.
  std::string key() const;
};

// Every task unit of the study in a fixed order (models, checkpoints, tasks, as listed): each
// computed task (one with a HEAR folder) for every checkpoint of every model that is run over
// sounds. Models given as feature files have no task units (their scores come from a CSV).
std::vector<TaskUnit> plan_task_units(const Study& study);

}  // namespace brainalign::study