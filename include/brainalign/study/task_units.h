// Downstream task units of a study: each computed task folder read once with a digest for
// provenance, and one unit (a model's checkpoint on a task under a protocol) computed into the
// record the store keeps: embeddings through the feature cache, then the evaluator's probes.
#pragma once

#include <string>

#include "brainalign/features/extract.h"
#include "brainalign/hear/hear_task.h"
#include "brainalign/models/model.h"
#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"
#include "brainalign/study/task_evaluator.h"

namespace brainalign::study {

// SHA-256 over the task's metadata, label vocabulary and split files (their bytes) and the
// name and size of every audio file of every rate folder (reading the audio would cost as much
// as the evaluation). InputError naming the file when one is missing.
std::string hear_task_digest(const hear::HearTask& task);

struct StudyTaskData {
  const StudyTask* task = nullptr;
  hear::HearTask hear;
  std::string digest;  // hear_task_digest()
};

// Reads and checks a computed task's folder: InputError naming the study file and the task
// for a folder that is not a scene task in the hear-preprocess layout.
StudyTaskData read_study_task(const Study& study, const StudyTask& task);

// Computes one task unit with `model` (the unit's checkpoint, made from `registry_name`).
TaskRecord compute_task_unit(const TaskUnit& unit, const models::Model& model,
                             const std::string& registry_name, const StudyTaskData& task,
                             const TaskEvaluator& evaluate, const features::ExtractOptions& extract,
                             const TaskEvaluationSettings& settings);

}  // namespace brainalign::study