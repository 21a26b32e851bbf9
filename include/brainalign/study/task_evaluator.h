// How a study scores a model on a HEAR task: the runner reads the task and extracts the
// model's embeddings, then hands them to a TaskEvaluator that trains the protocol's probes
// (probe_task_evaluator(): hear::evaluate_task, whose training is libtorch's, from the neural
// plugin). A build without libtorch runs every other part of a study.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "brainalign/hear/hear_task.h"
#include "brainalign/hear/task_embeddings.h"

namespace brainalign::study {

struct TaskEvaluationSettings {
  std::string protocol = "pepino2025";  // pepino2025 or hear2021
  std::uint64_t seed = 0;               // the probes' seed
  int max_epochs = 0;                   // cap on training epochs (0: the protocol's)
  bool probe_float32 = false;           // pepino2025: float32 probe inputs, not float16
  std::vector<std::string> layers;      // the layers the probe combines; empty: the protocol's
  int threads = 0;                      // probes trained at once; results do not depend on it
  std::function<void(const std::string& stage, int done, int total)> progress;
};

struct TaskEvaluation {
  std::string metric;      // the task's primary metric
  double score = 0;        // the protocol's score (mean over folds of the test score)
  nlohmann::json summary;  // folds, chosen probe, layer weights (no timings)
};

using TaskEvaluator =
    std::function<TaskEvaluation(const hear::HearTask& task, const hear::TaskEmbeddings& embeddings,
                                 const TaskEvaluationSettings& settings)>;

// hear::evaluate_task() under the settings' protocol, seed, epoch cap, layers and threads,
// exactly as `brainalign downstream` trains the probes; the summary is
// hear::task_summary_json() without its timing.
TaskEvaluator probe_task_evaluator();

}  // namespace brainalign::study