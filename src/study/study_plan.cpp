#include "brainalign/study/study_plan.h"

#include <filesystem>
#include <map>
#include <set>

#include "brainalign/data/brain_dataset.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/models/model_catalog.h"
#include "brainalign/models/model_series.h"
#include "brainalign/models/registry.h"
#include "brainalign/study/results_store.h"
#include "brainalign/study/work_unit.h"

namespace brainalign::study {
namespace fs = std::filesystem;
namespace {

// Adds `bytes` (-1: unknown) to a running total that turns unknown once any part is.
void add_bytes(std::int64_t& total, std::int64_t bytes) {
  total = total < 0 || bytes < 0 ? -1 : total + bytes;
}

// The bytes of a data set's files missing under the data root (-1 when a size is unknown).
std::int64_t missing_bytes(const data::PublicDataset& dataset) {
  const fs::path root = data::data_root();
  if (data::missing_paths(dataset, root).empty()) return 0;
  return io::missing_bytes(dataset.files, root);
}

// A registered data set that `source` needs (a dataset name, or a model's stimuli), if any.
const data::PublicDataset* public_dataset_for(const std::string& source) {
  const std::string name = data::public_dataset_providing(source);
  return name.empty() ? nullptr : &data::find_public_dataset(name);
}

// A registered series: its listing, its checkpoints and the architecture they fill.
PlannedInput plan_series(const StudyModel& m) {
  PlannedInput p;
  p.name = m.name;
  p.source = m.series;
  p.checkpoints = static_cast<int>(m.checkpoints.size());
  const models::ModelSeries& series = *models::find_model_series(m.series);
  try {
    models::check_model_name(series.architecture);
  } catch (const std::runtime_error& e) {
    p.usable = false;
    p.note = e.what();
    return p;
  }
  const models::PublishedModel& architecture = *models::find_published_model(series.architecture);
  int missing = 0;
  if (!models::is_fetched(architecture))
    p.download_bytes = io::missing_bytes(architecture.files, models::model_folder(architecture));
  if (m.checkpoints.empty()) {
    p.download_bytes = -1;
    p.ready = false;
    p.note = "its checkpoints are listed from their source at the first run (brainalign fetch " +
             m.series + " lists and downloads them)";
    return p;
  }
  const auto listed = models::listed_checkpoints(series);
  for (const auto& c : m.checkpoints) {
    const auto& file = models::find_checkpoint(series, *listed, c.label).file;
    if (fs::exists(models::series_folder(series) / file.path)) continue;
    ++missing;
    add_bytes(p.download_bytes, file.size);
  }
  p.ready = missing == 0 && models::is_fetched(architecture);
  if (!p.ready)
    p.note = std::to_string(missing) + " of " + std::to_string(m.checkpoints.size()) +
             " checkpoints (and the architecture " + series.architecture +
             (models::is_fetched(architecture) ? ", fetched" : ", not fetched") +
             ") fetched on first use";
  return p;
}

PlannedInput plan_model(const StudyModel& m) {
  PlannedInput p;
  p.name = m.name;
  p.checkpoints = static_cast<int>(m.checkpoints.size());
  if (m.kind == ModelKind::kFeatures) {
    p.source = m.features.string();
    p.ready = fs::exists(m.features);
    p.usable = p.ready;
    if (!p.ready) p.note = m.features.string() + " does not exist";
    return p;
  }
  if (!m.series.empty()) return plan_series(m);
  if (m.kind == ModelKind::kCheckpoints) {
    p.source = (m.model.empty() ? m.features.string() : m.model);
    p.ready = p.usable = !m.checkpoints.empty();
    if (!p.usable) p.note = "no checkpoint matches " + p.source;
    return p;
  }
  p.source = m.registry_name;
  try {
    models::check_model_name(m.registry_name);  // neither loads nor downloads
  } catch (const std::runtime_error& e) {
    p.usable = false;
    p.note = e.what();
    return p;
  }
  p.ready = true;
  if (const auto* published = models::find_published_model(m.registry_name);
      published != nullptr && !published->files.empty() && !models::is_fetched(*published)) {
    p.ready = false;
    const fs::path folder = models::model_folder(*published);
    p.download_bytes = models::missing_bytes(*published);
    p.note = "fetched on first use into " + folder.string();
  }
  return p;
}

PlannedInput plan_dataset(const StudyDataset& d, bool& components) {
  PlannedInput p;
  p.name = d.name;
  p.source = d.source;
  components = false;
  const data::PublicDataset* registered = public_dataset_for(d.source);
  try {
    const fs::path path = data::dataset_path(d.source);
    components = data::holds_components(path);
    p.ready = true;
  } catch (const std::runtime_error& e) {
    if (registered == nullptr) {
      p.usable = false;
      p.note = e.what();
      return p;
    }
    p.note = "in the data set " + registered->name + " (brainalign fetch " + registered->name + ")";
    p.data_set = registered->name;
    p.download_bytes = missing_bytes(*registered);
    components = d.source == "nh2015comp";
  }
  return p;
}

}  // namespace

bool StudyPlan::usable() const {
  for (const auto* list : {&models, &datasets, &tasks})
    for (const auto& input : *list)
      if (!input.usable) return false;
  return true;
}

StudyPlan plan_study(const Study& study) {
  StudyPlan plan;
  std::map<std::string, bool> stimuli_needed;  // the sounds the models that run go over
  bool any_runs = false;
  for (const auto& m : study.models) {
    plan.models.push_back(plan_model(m));
    if (!m.series.empty() && m.checkpoints.empty()) plan.units_known = false;
    any_runs = any_runs || m.runs();
  }
  std::vector<bool> components;
  for (const auto& d : study.datasets) {
    bool is_components = false;
    plan.datasets.push_back(plan_dataset(d, is_components));
    components.push_back(is_components);
    if (any_runs) stimuli_needed[d.stimuli] = true;
  }
  // The sounds the models run over, when they come from a registered data set.
  for (const auto& [stimuli, needed] : stimuli_needed) {
    if (fs::exists(stimuli)) continue;
    const data::PublicDataset* registered = public_dataset_for(stimuli);
    if (registered == nullptr) continue;
    PlannedInput p;
    p.name = stimuli;
    p.source = registered->name;
    p.download_bytes = missing_bytes(*registered);
    p.data_set = registered->name;
    p.ready = p.download_bytes == 0;
    if (!p.ready) p.note = "the sounds the models run over (brainalign fetch " + p.source + ")";
    plan.datasets.push_back(std::move(p));
  }
  for (const auto& t : study.tasks) {
    PlannedInput p;
    p.name = t.name;
    p.source = t.computed() ? t.path.string() : t.scores.string();
    p.ready = p.usable = fs::exists(t.computed() ? t.path : t.scores);
    if (!t.registered.empty()) {
      p.source = t.registered;
      p.usable = true;
      p.data_set = t.registered;
      if (!p.ready) {
        p.download_bytes = missing_bytes(data::find_public_dataset(t.registered));
        p.note = "fetched on first use (brainalign fetch " + t.registered + ")";
      }
    } else if (!p.ready) {
      p.note = p.source + " does not exist";
    }
    plan.tasks.push_back(std::move(p));
  }
  std::set<std::string> counted;  // a data set two datasets share downloads once
  for (const auto* list : {&plan.models, &plan.datasets, &plan.tasks})
    for (const auto& input : *list) {
      if (!input.data_set.empty() && !counted.insert(input.data_set).second) continue;
      if (input.download_bytes < 0) plan.download_bytes_known = false;
      if (input.download_bytes > 0) plan.download_bytes += input.download_bytes;
    }

  const auto units = plan_units(study, components);
  const auto task_units = plan_task_units(study);
  plan.units = static_cast<int>(units.size());
  plan.task_units = static_cast<int>(task_units.size());
  const fs::path store_file = results_store_path(study);
  if (!fs::exists(store_file)) return plan;  // nothing measured, nothing done; none created
  const ResultsStore store(store_file);
  const auto done = store.completed_units();
  const auto tasks_done = store.completed_task_units();
  int left = 0, tasks_left = 0;
  for (const auto& u : units) (done.count(u.key()) ? plan.units_done : left) += 1;
  for (const auto& u : task_units) (tasks_done.count(u.key()) ? plan.units_done : tasks_left) += 1;
  double seconds = 0, task_seconds = 0;
  const auto records = store.units();
  const auto task_records = store.task_units();
  for (const auto& r : records) seconds += r.seconds;
  for (const auto& r : task_records) task_seconds += r.seconds;
  const bool measured =
      (left == 0 || !records.empty()) && (tasks_left == 0 || !task_records.empty());
  if (measured) {
    double estimate = 0;
    if (left > 0) estimate += left * seconds / static_cast<double>(records.size());
    if (tasks_left > 0)
      estimate += tasks_left * task_seconds / static_cast<double>(task_records.size());
    plan.estimated_seconds = estimate;
  }
  return plan;
}

nlohmann::json to_json(const StudyPlan& plan) {
  const auto inputs = [](const std::vector<PlannedInput>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : list) {
      nlohmann::json j = {{"name", p.name},
                          {"source", p.source},
                          {"ready", p.ready},
                          {"usable", p.usable},
                          {"note", p.note}};
      j["download_bytes"] =
          p.download_bytes < 0 ? nlohmann::json() : nlohmann::json(p.download_bytes);
      if (p.checkpoints > 0) j["checkpoints"] = p.checkpoints;
      out.push_back(std::move(j));
    }
    return out;
  };
  nlohmann::json j;
  j["models"] = inputs(plan.models);
  j["datasets"] = inputs(plan.datasets);
  j["tasks"] = inputs(plan.tasks);
  j["units"] = plan.units + plan.task_units;
  j["units_known"] = plan.units_known;
  j["alignment_units"] = plan.units;
  j["task_units"] = plan.task_units;
  j["units_done"] = plan.units_done;
  j["download_bytes"] = plan.download_bytes;  // the known sizes
  j["download_sizes_known"] = plan.download_bytes_known;
  j["estimated_seconds"] =
      plan.estimated_seconds ? nlohmann::json(*plan.estimated_seconds) : nlohmann::json();
  j["usable"] = plan.usable();
  return j;
}

}  // namespace brainalign::study
