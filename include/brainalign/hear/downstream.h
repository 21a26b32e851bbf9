// Downstream evaluation of one model on HEAR tasks: the protocol's splits, grid search and
// probes over a task's embeddings, and the summaries `brainalign downstream` writes.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brainalign/hear/hear_task.h"
#include "brainalign/hear/probe.h"
#include "brainalign/hear/task_embeddings.h"

namespace brainalign::hear {

struct FoldResult {
  std::string test_split;
  double valid_score = 0;
  double test_score = 0;
  int epochs = 0;
  std::vector<double> layer_weights;
};

struct TaskResult {
  std::string task;
  std::string metric;
  Protocol protocol = Protocol::kPepino2025;
  double score = 0;  // mean over folds of the test score
  std::vector<FoldResult> folds;
  ProbeConfig chosen_config;
  std::vector<double> grid_valid_scores;  // fold 0 validation score of each grid point
  std::vector<std::string> layers;        // the layers the probe combined
  bool float16_inputs = true;             // ProbeOptions::float16_inputs
  bool score_logits = true;               // ProbeOptions::score_logits
  double seconds = 0;
};

// Runs the protocol on a task's embeddings, combining options.layers when given; else
// pepino2025: every layer but "output" where the
// layers also hold "encoder.*" (a pre-LN encoder's final norm, which the 2025 layer lists do
// not hold), reduced by PCA fitted on the train splits when widths differ, the 16-point grid
// on fold 0, its winner on the other folds. hear2021: the last layer ("output" where the model has
// it: the embedding the model returns) and the 8-point grid. Train/valid/test tasks have one fold.
// With options.float16_inputs, an input beyond float16's range is an InputError naming the task,
// split and layer.
TaskResult evaluate_task(const HearTask& task, const TaskEmbeddings& embeddings, Protocol protocol,
                         const ProbeOptions& options);

// One task's summary: score, per fold, chosen configuration, grid, layers, probe inputs
// ("float16" or "float32"), what was scored ("logits" or "probabilities"), layer weights, folds
// and seconds (what DIR/<task>/summary.json holds).
nlohmann::json task_summary_json(const TaskResult& result);

// A model on several tasks, as `brainalign downstream` runs it: each task's embeddings through
// the feature cache, then the protocol. With `out_dir`, each task's summary is written to
// out_dir/<task>/summary.json as soon as it is done and out_dir/summary.json at the end.
// `on_task` (optional) hears of each task when it is done.
std::vector<TaskResult> evaluate_model(
    const models::Model& model, const std::vector<HearTask>& tasks, Protocol protocol,
    const ProbeOptions& probe, const features::ExtractOptions& extract,
    const std::filesystem::path& out_dir = {},
    const std::function<void(const TaskResult&, const TaskEmbeddings&)>& on_task = {});

// DIR/<task>/summary.json for one task; DIR/summary.json over several.
void write_task_summary(const std::filesystem::path& path, const TaskResult& result);
void write_downstream_summary(const std::filesystem::path& path, const std::string& model,
                              const std::vector<TaskResult>& results);

}  // namespace brainalign::hear
