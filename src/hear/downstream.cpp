#include "brainalign/hear/downstream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "brainalign/base/error.h"
#include "brainalign/hear/metrics.h"
#include "brainalign/io/atomic_file.h"

namespace brainalign::hear {
namespace {

using nlohmann::json;

// The rows of several splits, stacked in the order given.
ProbeSplit gather(const HearTask& task, const TaskEmbeddings& embeddings,
                  const std::vector<std::string>& split_names,
                  const std::vector<std::size_t>& layers) {
  ProbeSplit out;
  std::vector<Matrix> targets;
  Eigen::Index rows = 0;
  for (const auto& name : split_names) {
    targets.push_back(split_targets(task, task.split(name)));
    rows += targets.back().rows();
  }
  out.targets.resize(rows, static_cast<Eigen::Index>(task.labels.size()));
  Eigen::Index at = 0;
  for (const auto& t : targets) {
    out.targets.middleRows(at, t.rows()) = t;
    at += t.rows();
  }
  for (std::size_t l : layers) {
    const Eigen::Index width = embeddings.splits.at(split_names.front())[l].cols();
    Matrix m(rows, width);
    at = 0;
    for (const auto& name : split_names) {
      const Matrix& part = embeddings.splits.at(name)[l];
      m.middleRows(at, part.rows()) = part;
      at += part.rows();
    }
    out.layers.push_back(std::move(m));
  }
  return out;
}

struct FoldInputs {
  ProbeSplit train, valid, test;
};

// The probe's inputs of one fold (PCA-reduced where the layers' widths differ). With float16
// inputs, a value float16 cannot hold is an InputError naming the task, the split and the layer.
FoldInputs fold_inputs(const HearTask& task, const TaskEmbeddings& embeddings,
                       const FoldSplits& fold, const std::vector<std::size_t>& layers,
                       bool float16_inputs) {
  FoldInputs in{gather(task, embeddings, fold.train, layers),
                gather(task, embeddings, {fold.valid}, layers),
                gather(task, embeddings, {fold.test}, layers)};
  const LayerPca pca = fit_layer_pca(in.train.layers);
  if (!pca.identity) {
    for (ProbeSplit* s : {&in.train, &in.valid, &in.test}) {
      for (std::size_t l = 0; l < s->layers.size(); ++l) {
        s->layers[l] = pca.transform(l, s->layers[l]);
      }
    }
  }
  if (float16_inputs) {
    const std::vector<std::pair<const ProbeSplit*, std::string>> splits = {
        {&in.train, "train (" + std::to_string(fold.train.size()) + " splits)"},
        {&in.valid, fold.valid},
        {&in.test, fold.test}};
    for (const auto& [split, name] : splits) {
      for (std::size_t l = 0; l < split->layers.size(); ++l) {
        const double largest = split->layers[l].cwiseAbs().maxCoeff();
        if (std::isfinite(largest) && std::isinf(round_to_float16(largest))) {
          throw InputError("task " + task.name + ", split " + name + ", layer " +
                           embeddings.layers[layers[l]] + (pca.identity ? "" : " (after PCA)") +
                           ": a value of magnitude " + std::to_string(largest) +
                           " is beyond float16's range (65504), to which the pepino2025 probe "
                           "casts its inputs as the published code; keep them in float32 with "
                           "--probe-float32");
        }
      }
    }
  }
  return in;
}

}  // namespace

TaskResult evaluate_task(const HearTask& task, const TaskEmbeddings& embeddings, Protocol protocol,
                         const ProbeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  TaskResult result;
  result.task = task.name;
  result.metric = task.primary_metric();
  result.protocol = protocol;
  result.float16_inputs = options.float16_inputs;
  result.score_logits = options.score_logits;
  if (!is_known_metric(result.metric)) {
    throw InputError((task.dir / "task_metadata.json").string() +
                     ": key 'evaluation' starts with '" + result.metric +
                     "' (known: top1_acc, pitch_acc, mAP, d_prime, aucroc)");
  }
  if (embeddings.layers.empty()) throw InputError("task " + task.name + ": no layers");
  std::vector<std::size_t> layers;
  if (!options.layers.empty()) {
    for (const auto& name : options.layers) {
      const auto at = std::find(embeddings.layers.begin(), embeddings.layers.end(), name);
      if (at == embeddings.layers.end())
        throw InputError("task " + task.name + ": no layer '" + name + "' among the embeddings");
      layers.push_back(static_cast<std::size_t>(at - embeddings.layers.begin()));
    }
  } else if (protocol == Protocol::kHear2021) {
    layers = {embeddings.layers.size() - 1};
  } else {
    // Every layer but a pre-LN encoder's "output" (the final norm after "encoder.N"), which
    // the 2025 study's layer lists do not hold.
    const bool transformer =
        std::any_of(embeddings.layers.begin(), embeddings.layers.end(),
                    [](const std::string& name) { return name.starts_with("encoder."); });
    for (std::size_t l = 0; l < embeddings.layers.size(); ++l) {
      if (!transformer || embeddings.layers[l] != "output") layers.push_back(l);
    }
  }
  for (std::size_t l : layers) result.layers.push_back(embeddings.layers[l]);
  const bool multilabel = task.prediction_type == PredictionType::kMultilabel;
  const auto folds = protocol_folds(task);
  const auto grid = probe_grid(protocol);
  const int total = static_cast<int>(grid.size() + folds.size() - 1);
  int done = 0;
  auto report = [&](int n) {
    done += n;
    if (options.progress) options.progress("probes " + task.name, done, total);
  };
  report(0);

  // Grid search on fold 0.
  const FoldInputs first = fold_inputs(task, embeddings, folds[0], layers, options.float16_inputs);
  std::vector<ProbeResult> grid_results(grid.size());
  std::vector<std::function<void()>> jobs;
  std::mutex progress_mutex;
  for (std::size_t g = 0; g < grid.size(); ++g) {
    jobs.push_back([&, g] {
      grid_results[g] = train_probe(first.train, first.valid, first.test, multilabel, result.metric,
                                    grid[g], options, g);
      std::lock_guard<std::mutex> lock(progress_mutex);
      report(1);
    });
  }
  run_probe_jobs(jobs, options.threads);
  std::size_t best = 0;
  for (std::size_t g = 0; g < grid.size(); ++g) {
    result.grid_valid_scores.push_back(grid_results[g].valid_score);
    if (grid_results[g].valid_score > grid_results[best].valid_score) best = g;
  }
  result.chosen_config = grid[best];
  result.folds.resize(folds.size());
  auto record = [&](std::size_t f, const ProbeResult& r) {
    result.folds[f] = {folds[f].test, r.valid_score, r.test_score, r.epochs, r.layer_weights};
  };
  record(0, grid_results[best]);

  // The winner on the other folds.
  jobs.clear();
  std::vector<ProbeResult> fold_results(folds.size());
  for (std::size_t f = 1; f < folds.size(); ++f) {
    jobs.push_back([&, f] {
      const FoldInputs in = fold_inputs(task, embeddings, folds[f], layers, options.float16_inputs);
      fold_results[f] = train_probe(in.train, in.valid, in.test, multilabel, result.metric,
                                    grid[best], options, 1000 * f + best);
      std::lock_guard<std::mutex> lock(progress_mutex);
      report(1);
    });
  }
  run_probe_jobs(jobs, options.threads);
  for (std::size_t f = 1; f < folds.size(); ++f) record(f, fold_results[f]);
  double sum = 0;
  for (const auto& f : result.folds) sum += f.test_score;
  result.score = sum / static_cast<double>(result.folds.size());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

json task_summary_json(const TaskResult& r) {
  json folds = json::array();
  json weights = json::array();
  json per_fold = json::array();
  for (const auto& f : r.folds) {
    per_fold.push_back(f.test_score);
    weights.push_back(f.layer_weights);
    folds.push_back({{"test_split", f.test_split},
                     {"valid_score", f.valid_score},
                     {"test_score", f.test_score},
                     {"epochs", f.epochs}});
  }
  return {{"task", r.task},
          {"metric", r.metric},
          {"protocol", protocol_name(r.protocol)},
          {"score", r.score},
          {"per_fold", per_fold},
          {"chosen_config",
           {{"name", r.chosen_config.name()},
            {"hidden_layers", r.chosen_config.hidden_layers},
            {"hidden_units", r.chosen_config.hidden_units},
            {"initialization", r.chosen_config.xavier_normal ? "xavier_normal" : "xavier_uniform"},
            {"learning_rate", r.chosen_config.learning_rate}}},
          {"grid_valid_scores", r.grid_valid_scores},
          {"layers", r.layers},
          {"probe_inputs", r.float16_inputs ? "float16" : "float32"},
          {"scored", r.score_logits ? "logits" : "probabilities"},
          {"layer_weights", weights},
          {"folds", folds},
          {"seconds", r.seconds}};
}

void write_task_summary(const std::filesystem::path& path, const TaskResult& result) {
  std::filesystem::create_directories(path.parent_path());
  io::write_file_atomically(path, task_summary_json(result).dump(2) + "\n");
}

std::vector<TaskResult> evaluate_model(
    const models::Model& model, const std::vector<HearTask>& tasks, Protocol protocol,
    const ProbeOptions& probe, const features::ExtractOptions& extract,
    const std::filesystem::path& out_dir,
    const std::function<void(const TaskResult&, const TaskEmbeddings&)>& on_task) {
  // Before any embedding is computed: a build that cannot train probes says so at once.
  require_probe_trainer();
  std::vector<TaskResult> results;
  for (const auto& task : tasks) {
    const TaskEmbeddings embeddings = embed_task(model, task, extract);
    results.push_back(evaluate_task(task, embeddings, protocol, probe));
    if (!out_dir.empty()) write_task_summary(out_dir / task.name / "summary.json", results.back());
    if (on_task) on_task(results.back(), embeddings);
  }
  if (!out_dir.empty()) write_downstream_summary(out_dir / "summary.json", model.name(), results);
  return results;
}

void write_downstream_summary(const std::filesystem::path& path, const std::string& model,
                              const std::vector<TaskResult>& results) {
  json tasks = json::array();
  for (const auto& r : results) tasks.push_back(task_summary_json(r));
  json summary = {{"model", model}, {"version", BRAINALIGN_VERSION}, {"tasks", tasks}};
  std::filesystem::create_directories(path.parent_path());
  io::write_file_atomically(path, summary.dump(2) + "\n");
}

}  // namespace brainalign::hear
