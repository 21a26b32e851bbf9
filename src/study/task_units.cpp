#include "brainalign/study/task_units.h"

#include <chrono>

#include "brainalign/base/error.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/hear/task_embeddings.h"
#include "brainalign/io/sha256.h"

namespace brainalign::study {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void hash_file(io::Sha256& h, const fs::path& path, const fs::path& dir) {
  h.update(fs::relative(path, dir).string() + "\n");
  h.update(io::sha256_file(path) + "\n");
}

}  // namespace

std::string hear_task_digest(const hear::HearTask& task) {
  io::Sha256 h;
  hash_file(h, task.dir / "task_metadata.json", task.dir);
  hash_file(h, task.dir / "labelvocabulary.csv", task.dir);
  for (const auto& split : task.splits) hash_file(h, task.dir / (split.name + ".json"), task.dir);
  for (int rate : task.sample_rates)
    for (const auto& split : task.splits)
      for (const auto& clip : split.clips) {
        const fs::path p = hear::clip_path(task, rate, split.name, clip.filename);
        h.update(fs::relative(p, task.dir).string() + " " + std::to_string(fs::file_size(p)) +
                 "\n");
      }
  return h.hex();
}

StudyTaskData read_study_task(const Study& study, const StudyTask& task) {
  StudyTaskData data;
  data.task = &task;
  try {
    data.hear = hear::read_hear_task(
        task.registered.empty() ? task.path : data::hear_task_folder(task.registered));
    data.digest = hear_task_digest(data.hear);
  } catch (const InputError& e) {
    throw InputError(study.file.string() + ": task '" + task.name + "': " + e.what());
  } catch (const fs::filesystem_error& e) {
    throw InputError(study.file.string() + ": task '" + task.name + "': " + e.what());
  }
  return data;
}

TaskRecord compute_task_unit(const TaskUnit& unit, const models::Model& model,
                             const std::string& registry_name, const StudyTaskData& task,
                             const TaskEvaluator& evaluate, const features::ExtractOptions& extract,
                             const TaskEvaluationSettings& settings) {
  const auto start = std::chrono::steady_clock::now();
  TaskEvaluation evaluation;
  try {
    const hear::TaskEmbeddings embeddings = hear::embed_task(model, task.hear, extract);
    evaluation = evaluate(task.hear, embeddings, settings);
  } catch (const InputError& e) {
    throw InputError("task unit " + unit.key() + ": " + e.what());
  }
  TaskRecord r;
  r.unit = unit;
  r.metric = evaluation.metric;
  r.score = evaluation.score;
  r.brainalign_version = BRAINALIGN_VERSION;
  r.seed = settings.seed;
  r.model_id = model.name() + "@" + model.weights_id();
  r.task_sha256 = task.digest;
  json o;
  o["protocol"] = settings.protocol;
  o["max_epochs"] = settings.max_epochs;
  if (!settings.layers.empty()) o["layers"] = settings.layers;
  o["probe_inputs"] =
      settings.probe_float32 || settings.protocol == "hear2021" ? "float32" : "float16";
  o["model"] = registry_name;
  o["task_path"] = task.task->path.string();
  o["task_name"] = task.hear.name;
  o["task_version"] = task.hear.version;
  r.options_json = o.dump();
  r.summary_json = evaluation.summary.dump();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace brainalign::study