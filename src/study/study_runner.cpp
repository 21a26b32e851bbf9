#include "brainalign/study/study_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/features/extract.h"
#include "brainalign/features/feature_set.h"
#include "brainalign/hear/probe.h"
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

// A noise-ceiling unit as `brainalign ceiling` computes it (the published voxel selection):
// the overall value and sem, and one row per subject; the summary is the command's
// summary.json.
UnitRecord ceiling_record(const WorkUnit& u, const StudyAnalysis& a, const StudyDataset& d,
                          const data::BrainDataset& dataset) {
  const protocols::NoiseCeilingResult c =
      protocols::rsa_ceiling(dataset, u.roi, protocols::parse_protocol(u.protocol));
  UnitRecord r;
  r.unit = u;
  r.brainalign_version = BRAINALIGN_VERSION;
  json o = unit_options(a, d, u);
  o["voxel_selection"] = "published";
  o["roi_applied"] = c.roi_applied;
  r.options_json = o.dump();
  r.summary_json = protocols::to_json(c).dump();
  r.rows.push_back({"overall", "", "", c.value, c.sem});
  for (const auto& [subject, value] : c.per_subject)
    r.rows.push_back({"subject", subject, "", value, std::nan("")});
  return r;
}

// The layer the protocol chose most often over the targets (voxels, components, subjects) and
// their folds, splits or iterations; ties go to the first in the feature set's order. Empty
// when no target carries a layer.
std::string most_chosen_layer(const std::vector<protocols::TargetScore>& targets,
                              const std::vector<std::string>& layers) {
  std::map<std::string, long> count;
  for (const auto& t : targets)
    for (const auto& l : t.layers) ++count[l];
  std::string best;
  long most = 0;
  for (const auto& l : layers)
    if (const auto it = count.find(l); it != count.end() && it->second > most)
      best = l, most = it->second;
  return best;
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

namespace {

// What a unit's failure records: the error's kind and its message.
UnitFailure failure_of(const std::string& key, const std::exception& e, int rank) {
  const bool io = dynamic_cast<const IoError*>(&e) != nullptr;
  return {key, io ? "io" : "input", e.what(), rank};
}

// Runs `check`; on an InputError or IoError returns the failure it describes.
template <class Check>
std::optional<UnitFailure> failure_in(const std::string& key, int rank, Check check) {
  try {
    check();
  } catch (const InputError& e) {
    return failure_of(key, e, rank);
  } catch (const IoError& e) {
    return failure_of(key, e, rank);
  }
  return std::nullopt;
}

}  // namespace

StudyRunSummary run_study(const Study& study, const ProcessGroup& group,
                          const StudyRunOptions& options) {
  if (const auto unlisted = unlisted_series(study); !unlisted.empty()) {
    throw InputError(study.file.string() + ": the checkpoints of series model '" +
                     unlisted.front() + "' are not listed yet (list_model_series lists them)");
  }
  const auto say = [&](const std::string& line) {
    if (options.note && group.rank() == 0) options.note(line);
  };
  int threads = options.threads > 0 ? options.threads : study.threads;
  if (threads <= 0)
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / group.size());

  // Datasets that cannot be loaded fail their units only.
  std::vector<std::optional<data::BrainDataset>> datasets;
  std::vector<std::optional<UnitFailure>> dataset_errors;
  std::vector<bool> components;
  std::vector<std::string> digests;
  for (const auto& d : study.datasets) {
    datasets.emplace_back();
    dataset_errors.push_back(
        failure_in("", group.rank(), [&] { datasets.back() = data::load_dataset(d.source); }));
    if (dataset_errors.back()) {
      dataset_errors.back()->message = study.file.string() + ": [[datasets]] '" + d.name +
                                       "': " + dataset_errors.back()->message;
    }
    components.push_back(datasets.back() && datasets.back()->components);
    digests.push_back(datasets.back() ? dataset_digest(*datasets.back()) : std::string());
  }
  const std::vector<WorkUnit> units = plan_units(study, components);
  const std::vector<TaskUnit> task_units = plan_task_units(study);
  // A store that does not exist yet is made only once some unit can run: a study refused
  // whole leaves nothing behind. Every rank reads the same stored sets: nothing is written to
  // the units before the barrier.
  const fs::path store_file = results_store_path(study);
  std::optional<ResultsStore> store;
  if (fs::exists(store_file)) store.emplace(store_file);
  const std::set<std::string> done = store ? store->completed_units() : std::set<std::string>();
  const std::set<std::string> tasks_done =
      store ? store->completed_task_units() : std::set<std::string>();
  std::vector<WorkUnit> missing;
  for (const auto& u : units)
    if (!done.count(u.key())) missing.push_back(u);
  std::vector<TaskUnit> missing_tasks;
  for (const auto& u : task_units)
    if (!tasks_done.count(u.key())) missing_tasks.push_back(u);
  StudyRunSummary summary;
  summary.units = static_cast<int>(units.size() + task_units.size());
  summary.task_units = static_cast<int>(task_units.size());
  summary.already = summary.units - static_cast<int>(missing.size() + missing_tasks.size());

  // Every missing unit's inputs are checked before any work starts; a unit whose inputs are
  // refused fails alone (recorded in the store), the others run. The checks are the same on
  // every rank.
  std::vector<UnitFailure> refused;
  std::map<std::string, std::optional<UnitFailure>> model_checks;
  const auto check_model = [&](const StudyModel& m, const Checkpoint& c) {
    auto it = model_checks.find(c.model);
    if (it == model_checks.end()) {
      it = model_checks
               .emplace(c.model,
                        failure_in("", group.rank(), [&] { check_model_name(study, m, c.model); }))
               .first;
    }
    return it->second;
  };
  std::map<fs::path, std::optional<UnitFailure>> feature_checks;
  std::map<std::pair<fs::path, fs::path>, std::optional<UnitFailure>> fold_checks;
  const auto refuse = [&](const std::string& key, UnitFailure f) {
    f.unit_key = key;
    f.rank = group.rank();
    refused.push_back(std::move(f));
  };
  std::vector<WorkUnit> runnable;
  for (const auto& u : missing) {
    const StudyDataset& d = study.dataset(u.dataset);
    const size_t di = static_cast<size_t>(&d - study.datasets.data());
    if (u.ceiling()) {  // the dataset alone
      if (dataset_errors[di])
        refuse(u.key(), *dataset_errors[di]);
      else
        runnable.push_back(u);
      continue;
    }
    const StudyModel& m = study.model(u.model);
    const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
    std::optional<UnitFailure> failure = dataset_errors[di];
    if (!failure && m.runs()) failure = check_model(m, c);
    if (!failure && !m.runs()) {
      // A given feature set must hold every sound of the dataset.
      const fs::path fp = features_path(study, u);
      auto it = feature_checks.find(fp);
      if (it == feature_checks.end()) {
        it = feature_checks
                 .emplace(fp, failure_in("", group.rank(),
                                         [&] {
                                           (void)features::align_to_stimuli(
                                               features::load_feature_set(fp),
                                               datasets[di]->stimuli);
                                         }))
                 .first;
      }
      failure = it->second;
    }
    if (!failure && !d.folds.empty()) {
      auto it = fold_checks.find({d.folds, fs::path(d.source)});
      if (it == fold_checks.end()) {
        it = fold_checks
                 .emplace(
                     std::pair{d.folds, fs::path(d.source)},
                     failure_in("", group.rank(),
                                [&] { (void)data::read_folds(d.folds, datasets[di]->stimuli); }))
                 .first;
      }
      failure = it->second;
    }
    if (failure) {
      refuse(u.key(), *failure);
    } else {
      runnable.push_back(u);
    }
  }
  missing = std::move(runnable);
  std::map<std::string, StudyTaskData> tasks;  // the computed tasks with missing units
  std::map<std::string, std::optional<UnitFailure>> task_checks;
  std::vector<TaskUnit> runnable_tasks;
  // The caller's probes, else the protocol's where this build can train them.
  TaskEvaluator evaluate_task = options.evaluate_task;
  if (!evaluate_task && !missing_tasks.empty() && hear::has_probe_trainer()) {
    evaluate_task = probe_task_evaluator();
  }
  for (const auto& u : missing_tasks) {
    const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
    std::optional<UnitFailure> failure = check_model(study.model(u.model), c);
    if (!failure) {
      auto it = task_checks.find(u.task);
      if (it == task_checks.end()) {
        const StudyTask& t = study.task(u.task);
        it = task_checks
                 .emplace(u.task,
                          failure_in("", group.rank(),
                                     [&] {
                                       if (!evaluate_task)
                                         throw InputError(study.file.string() + ": task '" +
                                                          t.name + "' is computed from the " +
                                                          "HEAR task folder " + t.path.string() +
                                                          ", and this brainalign was " +
                                                          "built without libtorch, which trains "
                                                          "the probes: use a build with " +
                                                          "libtorch (BRAINALIGN_WITH_TORCH), or "
                                                          "give the task's scores in a CSV " +
                                                          "('scores' instead of 'path')");
                                       tasks.emplace(u.task, read_study_task(study, t));
                                     }))
                 .first;
      }
      failure = it->second;
    }
    if (failure) {
      refuse(u.key(), *failure);
    } else {
      runnable_tasks.push_back(u);
    }
  }
  missing_tasks = std::move(runnable_tasks);
  const int to_compute = static_cast<int>(missing.size() + missing_tasks.size());
  // Scores read from CSVs are the study's own input: refused, the study is.
  const std::vector<DownstreamScore> csv_scores = read_downstream_scores(study);
  if (!store && to_compute == 0 && !refused.empty()) {
    // Nothing could run and nothing was stored before: refuse the study, leaving no store.
    const UnitFailure& first = refused.front();
    const std::string message = study.file.string() + ": none of the " +
                                std::to_string(refused.size()) + " units can run; " +
                                first.unit_key + ": " + first.message;
    if (first.kind == "io") throw IoError(message);
    throw InputError(message);
  }
  if (!store) {
    fs::create_directories(study.output);
    store.emplace(store_file);
  }
  if (group.rank() == 0)
    for (const UnitFailure& f : refused) store->write_failure(f);
  say(study.name + ": " + std::to_string(summary.units) + " units (" +
      std::to_string(summary.task_units) + " downstream), " + std::to_string(summary.already) +
      " stored, " + std::to_string(to_compute) + " to compute on " + std::to_string(group.size()) +
      " process" + (group.size() > 1 ? "es" : "") +
      (refused.empty() ? "" : ", " + std::to_string(refused.size()) + " refused"));

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
    if (u.ceiling()) continue;
    const StudyModel& m = study.model(u.model);
    if (!m.runs()) continue;
    const Checkpoint& c = checkpoint_of(study, u.model, u.checkpoint);
    const StudyDataset& d = study.dataset(u.dataset);
    const fs::path p = run_features_path(study, m, c, d);
    if (planned.insert(p).second) to_extract.push_back({&m, &c, &d, p});
  }
  // An extraction that fails fails the units that need its features (they find no file).
  std::map<fs::path, UnitFailure> extraction_failures;
  for (size_t i = 0; i < to_extract.size(); ++i)
    if (static_cast<int>(i % static_cast<size_t>(group.size())) == group.rank() &&
        !fs::exists(to_extract[i].out)) {
      if (auto failure = failure_in("", group.rank(), [&] {
            extract_run_features(*to_extract[i].model, *to_extract[i].checkpoint,
                                 *to_extract[i].dataset, to_extract[i].out, threads, options);
          }))
        extraction_failures.emplace(to_extract[i].out, *failure);
    }
  if (group.rank() == 0 && !csv_scores.empty()) store->write_downstream(csv_scores);
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
  const auto record_failure = [&](UnitFailure f) {
    store->write_failure(f);
    summary.failures.push_back(std::move(f));
    ++finished;
    if (options.progress) options.progress(stage, finished, total);
  };
  for (const WorkUnit* u : mine) {
    const auto start = std::chrono::steady_clock::now();
    if (u->ceiling()) {
      const StudyDataset& d = study.dataset(u->dataset);
      const size_t di = static_cast<size_t>(&d - study.datasets.data());
      UnitRecord r;
      if (auto failure = failure_in(u->key(), group.rank(), [&] {
            r = ceiling_record(*u, study.analysis(u->analysis), d, *datasets[di]);
          })) {
        record_failure(std::move(*failure));
        continue;
      }
      r.seed = study.seed;
      r.dataset_sha256 = digests[di];
      r.rank = group.rank();
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (store->write_unit(r)) ++summary.computed;
      ++finished;
      if (options.progress) options.progress(stage, finished, total);
      continue;
    }
    if (const auto failed = extraction_failures.find(features_path(study, *u));
        failed != extraction_failures.end()) {
      UnitFailure f = failed->second;
      f.unit_key = u->key();
      record_failure(std::move(f));
      continue;
    }
    const StudyAnalysis& a = study.analysis(u->analysis);
    const StudyDataset& d = study.dataset(u->dataset);
    const size_t di = static_cast<size_t>(&d - study.datasets.data());
    const fs::path fp = features_path(study, *u);
    features::FeatureSet features;
    if (auto failure = failure_in(u->key(), group.rank(),
                                  [&] { features = features::load_feature_set(fp); })) {
      record_failure(std::move(*failure));
      continue;
    }
    // The provenance of the features is their content (names and values), not the file's
    // bytes, which hold write times: identical runs record identical digests.
    auto digest = feature_digests.find(fp);
    if (digest == feature_digests.end())
      digest = feature_digests.emplace(fp, features::content_digest(features)).first;
    protocols::ScoreOptions so;
    so.protocol = protocols::parse_protocol(u->protocol);
    so.analysis = protocols::parse_analysis(a.analysis);
    if (!a.rsa_method.empty()) so.rsa_method = protocols::parse_rsa_method(a.rsa_method);
    so.roi = u->roi;
    if (!d.folds.empty()) so.folds_csv = d.folds;
    if (!d.splits.empty()) so.splits_csv = d.splits;
    so.threads = threads;
    protocols::ScoreResult result;
    if (auto failure = failure_in(u->key(), group.rank(), [&] {
          result = protocols::score(features, *datasets[di], so);
        })) {
      record_failure(std::move(*failure));
      continue;
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
    if (r.rows.front().layer.empty())  // regression: the layer chosen most often
      r.rows.front().layer = most_chosen_layer(result.targets, result.summary.layers);
    r.rank = group.rank();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (store->write_unit(r)) ++summary.computed;
    ++finished;
    if (options.progress) options.progress(stage, finished, total);
  }
  // Task units come ordered by model and checkpoint: each model is made once for its tasks.
  std::string made;
  std::unique_ptr<models::Model> model;
  for (const TaskUnit* u : mine_tasks) {
    const Checkpoint& c = checkpoint_of(study, u->model, u->checkpoint);
    if (!model || made != c.model) {
      model.reset();
      if (auto failure =
              failure_in(u->key(), group.rank(), [&] { model = models::make_model(c.model); })) {
        record_failure(std::move(*failure));
        continue;
      }
      made = c.model;
    }
    const StudyTask& t = study.task(u->task);
    features::ExtractOptions extract;
    extract.threads = threads;
    TaskEvaluationSettings settings;
    settings.protocol = u->protocol;
    settings.seed = study.seed;
    settings.max_epochs = t.max_epochs;
    settings.probe_float32 = t.probe_float32;
    if (auto failure = failure_in(u->key(), group.rank(), [&] {
          settings.layers = models::choose_layers(*model, study.model(u->model).layers,
                                                  u->protocol == "pepino2025" ? "pepino2025" : "");
        })) {
      record_failure(std::move(*failure));
      continue;
    }
    settings.threads = threads;
    if (options.note)
      options.note((group.size() > 1 ? stage + ": " : std::string()) + "downstream " + u->key());
    TaskRecord r;
    if (auto failure = failure_in(u->key(), group.rank(), [&] {
          r = compute_task_unit(*u, *model, c.model, tasks.at(u->task), evaluate_task, extract,
                                settings);
        })) {
      record_failure(std::move(*failure));
      continue;
    }
    r.rank = group.rank();
    if (store->write_task_unit(r)) ++summary.computed;
    ++finished;
    if (options.progress) options.progress(stage, finished, total);
  }
  group.barrier();
  if (group.rank() == 0) {
    const size_t stored = store->completed_units().size() + store->completed_task_units().size();
    say(study.name + ": " + std::to_string(stored) + " units stored in " + store->file().string());
    // Every rank's failures of this study's units, as the store holds them after this run.
    std::set<std::string> keys;
    for (const auto& u : units) keys.insert(u.key());
    for (const auto& u : task_units) keys.insert(u.key());
    summary.failures.clear();
    for (UnitFailure& f : store->failures())
      if (keys.count(f.unit_key)) summary.failures.push_back(std::move(f));
  }
  return summary;
}

}  // namespace brainalign::study