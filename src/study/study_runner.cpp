#include "brainalign/study/study_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/features/extract.h"
#include "brainalign/io/csv.h"
#include "brainalign/io/sha256.h"
#include "brainalign/models/registry.h"
#include "brainalign/protocols/score.h"
#include "brainalign/study/task_units.h"

namespace brainalign::study {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A digest of a dataset's content: stimuli, targets and every response value.
std::string dataset_digest(const data::BrainDataset& d) {
  io::Sha256 h;
  for (const auto& s : d.stimuli) h.update(s + "\n");
  for (const auto& t : d.targets) h.update(t.id + "," + t.subject + "," + t.roi + "\n");
  for (const auto& r : d.repetitions)
    h.update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(r.data()),
                                           static_cast<size_t>(r.size()) * sizeof(double)));
  return h.hex();
}

// Where the features of a model that is run (one checkpoint of it) over a dataset's sounds are
// kept in the study folder.
fs::path run_features_path(const Study& study, const StudyModel& m, const Checkpoint& c,
                           const StudyDataset& d) {
  std::string tag = d.stimuli;
  if (tag.find('/') != std::string::npos) tag = io::sha256_hex(tag).substr(0, 16);
  const std::string checkpoint = c.label.empty() ? "" : c.label + "__";
  return study.output / "features" / (m.name + "__" + checkpoint + tag + ".npz");
}

const Checkpoint& checkpoint_of(const Study& study, const std::string& model,
                                const std::string& label) {
  for (const auto& c : study.model(model).checkpoints)
    if (c.label == label) return c;
  throw InputError(study.file.string() + ": model '" + model + "' has no checkpoint '" + label +
                   "'");
}

fs::path features_path(const Study& study, const WorkUnit& u) {
  const StudyModel& m = study.model(u.model);
  const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
  if (m.runs()) return run_features_path(study, m, c, study.dataset(u.dataset));
  return c.features;
}

void extract_run_features(const StudyModel& m, const Checkpoint& c, const StudyDataset& d,
                          const fs::path& out, int threads, const StudyRunOptions& options) {
  const auto model = models::make_model(c.model);
  const auto files = features::resolve_stimuli(d.stimuli);
  features::ExtractOptions eo;
  eo.threads = threads;
  eo.progress = options.progress;
  if (options.note)
    options.note("extracting " + m.name + (c.label.empty() ? "" : " " + c.label) + " over " +
                 d.stimuli);
  const features::ExtractedFeatures features = features::extract_features(*model, files, eo);
  fs::create_directories(out.parent_path());
  features::save_feature_set(out, features::to_feature_set(features));  // written atomically
}

// Checks that a model the study runs names a registered model or family (and an existing path),
// before any work: a typo fails at once rather than after hours.
void check_model_name(const Study& study, const StudyModel& m, const std::string& name) {
  try {
    models::check_model_name(name);
  } catch (const std::runtime_error& e) {  // InputError or IoError: either is the study's input
    throw InputError(study.file.string() + ": [[models]] '" + m.name + "': " + e.what());
  }
}

json unit_options(const StudyAnalysis& a, const StudyDataset& d, const WorkUnit& u) {
  json o;
  o["analysis"] = a.analysis;
  o["protocol"] = u.protocol;
  if (a.analysis == "rsa")
    o["rsa_method"] = a.rsa_method.empty() ? protocols::to_string(protocols::default_rsa_method(
                                                 protocols::parse_protocol(u.protocol)))
                                           : a.rsa_method;
  o["roi"] = u.roi;
  o["dataset_source"] = d.source;
  if (!d.folds.empty()) o["folds"] = d.folds.string();
  if (!d.splits.empty()) o["splits"] = d.splits.string();
  return o;
}

}  // namespace

std::vector<ResultRow> result_rows(const protocols::ScoreSummary& s) {
  std::vector<ResultRow> rows;
  ResultRow overall;
  overall.level = "overall";
  overall.layer = s.best_layer;
  overall.value = s.value;
  overall.sem = s.sem;
  rows.push_back(overall);
  for (const auto& [subject, value] : s.per_subject)
    rows.push_back({"subject", subject, "", value, std::nan("")});
  for (const auto& [component, value] : s.per_component)
    rows.push_back({"component", component, "", value, std::nan("")});
  for (const auto& [layer, value] : s.per_layer)
    rows.push_back({"layer", "", layer, value, std::nan("")});
  return rows;
}

std::vector<DownstreamScore> read_downstream_scores(const Study& study) {
  std::vector<DownstreamScore> out;
  std::map<fs::path, io::CsvTable> files;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& task : study.tasks) {
    if (task.computed()) continue;
    auto it = files.find(task.scores);
    if (it == files.end()) it = files.emplace(task.scores, io::read_csv(task.scores)).first;
    const io::CsvTable& t = it->second;
    const size_t cm = t.column("model"), ct = t.column("task"), cs = t.column("score");
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const auto& row = t.rows[i];
      if (row[ct] != task.name) continue;
      const std::string where = t.source + ", line " + std::to_string(i + 2) + ", column 'score'";
      const double v = io::parse_double(row[cs], where);
      if (!std::isfinite(v)) throw InputError(where + ": the score must be finite");
      if (!seen.insert({row[cm], row[ct]}).second)
        throw InputError(t.source + ", line " + std::to_string(i + 2) + ": model '" + row[cm] +
                         "' has two scores for task '" + row[ct] + "'");
      out.push_back({row[cm], row[ct], v, task.scores.string()});
    }
  }
  return out;
}

StudyRunSummary run_study(const Study& study, const ProcessGroup& group,
                          const StudyRunOptions& options) {
  const auto say = [&](const std::string& line) {
    if (options.note && group.rank() == 0) options.note(line);
  };
  int threads = options.threads > 0 ? options.threads : study.threads;
  if (threads <= 0)
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / group.size());

  fs::create_directories(study.output);
  ResultsStore store(results_store_path(study));

  std::vector<data::BrainDataset> datasets;
  std::vector<bool> components;
  std::vector<std::string> digests;
  for (const auto& d : study.datasets) {
    datasets.push_back(data::load_dataset(d.source));
    components.push_back(datasets.back().components);
    digests.push_back(dataset_digest(datasets.back()));
  }
  const std::vector<WorkUnit> units = plan_units(study, components);
  const std::vector<TaskUnit> task_units = plan_task_units(study);
  // Every rank reads the same stored sets: nothing is written to the units before the barrier.
  const std::set<std::string> done = store.completed_units();
  const std::set<std::string> tasks_done = store.completed_task_units();
  std::vector<WorkUnit> missing;
  for (const auto& u : units)
    if (!done.count(u.key())) missing.push_back(u);
  std::vector<TaskUnit> missing_tasks;
  for (const auto& u : task_units)
    if (!tasks_done.count(u.key())) missing_tasks.push_back(u);
  StudyRunSummary summary;
  summary.units = static_cast<int>(units.size() + task_units.size());
  summary.task_units = static_cast<int>(task_units.size());
  const int to_compute = static_cast<int>(missing.size() + missing_tasks.size());
  summary.already = summary.units - to_compute;

  // Everything the missing work needs is checked before any of it starts.
  std::set<std::string> checked;
  for (const auto& u : missing) {
    const StudyModel& m = study.model(u.model);
    const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
    if (m.runs() && checked.insert(c.model).second) check_model_name(study, m, c.model);
  }
  for (const auto& u : missing_tasks) {
    const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
    if (checked.insert(c.model).second) check_model_name(study, study.model(u.model), c.model);
  }
  std::map<std::string, StudyTaskData> tasks;  // the computed tasks with missing units
  for (const auto& u : missing_tasks) {
    if (tasks.count(u.task)) continue;
    const StudyTask& t = study.task(u.task);
    if (!options.evaluate_task)
      throw InputError(study.file.string() + ": task '" + t.name + "' is computed from the " +
                       "HEAR task folder " + t.path.string() + ", and this brainalign was " +
                       "built without libtorch, which trains the probes: use a build with " +
                       "libtorch (BRAINALIGN_WITH_TORCH), or give the task's scores in a CSV " +
                       "('scores' instead of 'path')");
    tasks.emplace(u.task, read_study_task(study, t));
  }
  say(study.name + ": " + std::to_string(summary.units) + " units (" +
      std::to_string(summary.task_units) + " downstream), " + std::to_string(summary.already) +
      " stored, " + std::to_string(to_compute) + " to compute on " + std::to_string(group.size()) +
      " process" + (group.size() > 1 ? "es" : ""));

  // Features of the models that are run, each extracted once (by one rank) into the study
  // folder: per checkpoint and dataset sounds. Every rank plans the same list, whatever the
  // others have already written, so that each file has exactly one rank responsible for it;
  // that rank skips a file already there.
  struct Extraction {
    const StudyModel* model;
    const Checkpoint* checkpoint;
    const StudyDataset* dataset;
    fs::path out;
  };
  std::vector<Extraction> to_extract;
  std::set<fs::path> planned;
  for (const auto& u : missing) {
    const StudyModel& m = study.model(u.model);
    if (!m.runs()) continue;
    const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
    const StudyDataset& d = study.dataset(u.dataset);
    const fs::path p = run_features_path(study, m, c, d);
    if (planned.insert(p).second) to_extract.push_back({&m, &c, &d, p});
  }
  for (size_t i = 0; i < to_extract.size(); ++i)
    if (static_cast<int>(i % static_cast<size_t>(group.size())) == group.rank() &&
        !fs::exists(to_extract[i].out))
      extract_run_features(*to_extract[i].model, *to_extract[i].checkpoint, *to_extract[i].dataset,
                           to_extract[i].out, threads, options);
  if (group.rank() == 0) {
    const auto scores = read_downstream_scores(study);
    if (!scores.empty()) store.write_downstream(scores);
  }
  group.barrier();

  // The missing units, alignment units first, dealt out over the ranks: unit i to rank i mod N.
  std::vector<const WorkUnit*> mine;
  std::vector<const TaskUnit*> mine_tasks;
  for (size_t i = 0; i < static_cast<size_t>(to_compute); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(group.size())) != group.rank()) continue;
    if (i < missing.size())
      mine.push_back(&missing[i]);
    else
      mine_tasks.push_back(&missing_tasks[i - missing.size()]);
  }
  const int total = static_cast<int>(mine.size() + mine_tasks.size());
  std::map<fs::path, std::string> feature_digests;
  int finished = 0;
  const std::string stage = group.size() > 1 ? "rank " + std::to_string(group.rank()) : "study";
  if (options.progress) options.progress(stage, 0, total);
  for (const WorkUnit* u : mine) {
    const auto start = std::chrono::steady_clock::now();
    const StudyAnalysis& a = study.analysis(u->analysis);
    const StudyDataset& d = study.dataset(u->dataset);
    const size_t di = static_cast<size_t>(&d - study.datasets.data());
    const fs::path fp = features_path(study, *u);
    auto digest = feature_digests.find(fp);
    if (digest == feature_digests.end())
      digest = feature_digests.emplace(fp, io::sha256_file(fp)).first;
    protocols::ScoreOptions so;
    so.protocol = protocols::parse_protocol(u->protocol);
    so.analysis = protocols::parse_analysis(a.analysis);
    if (!a.rsa_method.empty()) so.rsa_method = protocols::parse_rsa_method(a.rsa_method);
    so.roi = u->roi;
    if (!d.folds.empty()) so.folds_csv = d.folds;
    if (!d.splits.empty()) so.splits_csv = d.splits;
    so.threads = threads;
    protocols::ScoreResult result;
    try {
      result = protocols::score(features::load_feature_set(fp), datasets[di], so);
    } catch (const InputError& e) {
      throw InputError("unit " + u->key() + ": " + e.what());
    }
    result.summary.seconds.reset();  // stored results do not depend on the machine
    UnitRecord r;
    r.unit = *u;
    r.brainalign_version = BRAINALIGN_VERSION;
    r.seed = study.seed;
    r.features_sha256 = digest->second;
    r.dataset_sha256 = digests[di];
    r.options_json = unit_options(a, d, *u).dump();
    r.summary_json = protocols::to_json(result.summary).dump();
    r.rows = result_rows(result.summary);
    r.rank = group.rank();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (store.write_unit(r)) ++summary.computed;
    ++finished;
    if (options.progress) options.progress(stage, finished, total);
  }
  // Task units come ordered by model and checkpoint: each model is made once for its tasks.
  std::string made;
  std::unique_ptr<models::Model> model;
  for (const TaskUnit* u : mine_tasks) {
    const Checkpoint& c = checkpoint_of(study, u->model, u->checkpoint);
    if (!model || made != c.model) {
      model = models::make_model(c.model);
      made = c.model;
    }
    const StudyTask& t = study.task(u->task);
    features::ExtractOptions extract;
    extract.threads = threads;
    TaskEvaluationSettings settings;
    settings.protocol = u->protocol;
    settings.seed = study.seed;
    settings.max_epochs = t.max_epochs;
    settings.threads = threads;
    if (options.note)
      options.note((group.size() > 1 ? stage + ": " : std::string()) + "downstream " + u->key());
    TaskRecord r = compute_task_unit(*u, *model, c.model, tasks.at(u->task), options.evaluate_task,
                                     extract, settings);
    r.rank = group.rank();
    if (store.write_task_unit(r)) ++summary.computed;
    ++finished;
    if (options.progress) options.progress(stage, finished, total);
  }
  group.barrier();
  if (group.rank() == 0) {
    const size_t stored = store.completed_units().size() + store.completed_task_units().size();
    say(study.name + ": " + std::to_string(stored) + " units stored in " + store.file().string());
  }
  return summary;
}

}  // namespace brainalign::study