#include "brainalign/study/study_export.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "brainalign/io/atomic_file.h"
#include "brainalign/io/csv.h"
#include "brainalign/io/json.h"
#include "brainalign/study/performance_scores.h"

namespace brainalign::study {
namespace {

using nlohmann::json;

// Text that reads back as the same double; empty where the value is not finite.

}  // namespace

void export_results(const Study& study, const ResultsStore& store,
                    const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  json out;
  out["schema_version"] = kResultsSchemaVersion;

  std::vector<std::vector<std::string>> rows;
  json results = json::array();
  for (const auto& r : store.results()) {
    const WorkUnit& u = r.unit;
    rows.push_back({u.model, u.checkpoint, std::to_string(u.step), r.row.layer, u.dataset,
                    u.analysis, u.protocol, u.roi, r.row.level, r.row.target,
                    io::format_cell(r.row.value), io::format_cell(r.row.sem)});
    results.push_back({{"model", u.model},
                       {"checkpoint", u.checkpoint},
                       {"step", u.step},
                       {"layer", r.row.layer},
                       {"dataset", u.dataset},
                       {"analysis", u.analysis},
                       {"protocol", u.protocol},
                       {"roi", u.roi},
                       {"level", r.row.level},
                       {"target", r.row.target},
                       {"value", io::json_number(r.row.value)},
                       {"sem", io::json_number(r.row.sem)}});
  }
  io::write_csv(dir / "results.csv",
                {"model", "checkpoint", "step", "layer", "dataset", "analysis", "protocol", "roi",
                 "level", "target", "value", "sem"},
                rows);
  out["results"] = results;

  rows.clear();
  json units = json::array();
  for (const auto& r : store.units()) {
    const WorkUnit& u = r.unit;
    rows.push_back({u.key(), u.model, u.checkpoint, std::to_string(u.step), u.dataset, u.analysis,
                    u.protocol, u.roi, r.brainalign_version, std::to_string(r.seed),
                    r.features_sha256, r.dataset_sha256, io::format_cell(r.seconds),
                    std::to_string(r.rank)});
    units.push_back({{"unit", u.key()},
                     {"model", u.model},
                     {"checkpoint", u.checkpoint},
                     {"step", u.step},
                     {"dataset", u.dataset},
                     {"analysis", u.analysis},
                     {"protocol", u.protocol},
                     {"roi", u.roi},
                     {"brainalign_version", r.brainalign_version},
                     {"seed", r.seed},
                     {"features_sha256", r.features_sha256},
                     {"dataset_sha256", r.dataset_sha256},
                     {"options", json::parse(r.options_json)},
                     {"summary", json::parse(r.summary_json)},
                     {"seconds", r.seconds},
                     {"rank", r.rank}});
  }
  io::write_csv(
      dir / "units.csv",
      {"unit", "model", "checkpoint", "step", "dataset", "analysis", "protocol", "roi",
       "brainalign_version", "seed", "features_sha256", "dataset_sha256", "seconds", "rank"},
      rows);
  out["units"] = units;

  rows.clear();
  json tasks = json::array();
  for (const auto& r : store.task_units()) {
    const TaskUnit& u = r.unit;
    rows.push_back({u.key(), u.model, u.checkpoint, std::to_string(u.step), u.task, u.protocol,
                    r.metric, io::format_cell(r.score), r.brainalign_version,
                    std::to_string(r.seed), r.model_id, r.task_sha256, io::format_cell(r.seconds),
                    std::to_string(r.rank)});
    tasks.push_back({{"unit", u.key()},
                     {"model", u.model},
                     {"checkpoint", u.checkpoint},
                     {"step", u.step},
                     {"task", u.task},
                     {"protocol", u.protocol},
                     {"metric", r.metric},
                     {"score", io::json_number(r.score)},
                     {"brainalign_version", r.brainalign_version},
                     {"seed", r.seed},
                     {"model_id", r.model_id},
                     {"task_sha256", r.task_sha256},
                     {"options", json::parse(r.options_json)},
                     {"summary", json::parse(r.summary_json)},
                     {"seconds", r.seconds},
                     {"rank", r.rank}});
  }
  io::write_csv(dir / "task_units.csv",
                {"unit", "model", "checkpoint", "step", "task", "protocol", "metric", "score",
                 "brainalign_version", "seed", "model_id", "task_sha256", "seconds", "rank"},
                rows);
  out["task_units"] = tasks;

  // The noise ceilings: one row per dataset, analysis, protocol and ROI.
  rows.clear();
  json ceilings = json::array();
  std::map<std::string, json> summaries;
  for (const auto& r : store.units())
    if (r.unit.ceiling()) summaries[r.unit.key()] = json::parse(r.summary_json);
  for (const auto& r : store.results()) {
    const WorkUnit& u = r.unit;
    if (!u.ceiling() || r.row.level != "overall") continue;
    const json& summary = summaries[u.key()];
    const std::size_t subjects = summary.value("per_subject", json::object()).size();
    const json dropped = summary.value("n_subjects_dropped", json());
    const bool applied = summary.value("roi_applied", false);
    rows.push_back({u.dataset, u.analysis, u.protocol, u.roi, io::format_cell(r.row.value),
                    io::format_cell(r.row.sem), std::to_string(subjects),
                    dropped.is_number() ? dropped.dump() : "", applied ? "true" : "false"});
    ceilings.push_back({{"dataset", u.dataset},
                        {"analysis", u.analysis},
                        {"protocol", u.protocol},
                        {"roi", u.roi},
                        {"value", io::json_number(r.row.value)},
                        {"sem", io::json_number(r.row.sem)},
                        {"n_subjects", subjects},
                        {"n_subjects_dropped", dropped},
                        {"roi_applied", applied},
                        {"per_subject", summary.value("per_subject", json::object())}});
  }
  io::write_csv(dir / "ceiling.csv",
                {"dataset", "analysis", "protocol", "roi", "value", "sem", "n_subjects",
                 "n_subjects_dropped", "roi_applied"},
                rows);
  out["ceilings"] = ceilings;

  rows.clear();
  json down = json::array();
  for (const auto& d : performance_scores(study, store)) {
    rows.push_back({d.model, d.task, io::format_cell(d.score), d.source});
    down.push_back(
        {{"model", d.model}, {"task", d.task}, {"score", d.score}, {"source", d.source}});
  }
  io::write_csv(dir / "downstream.csv", {"model", "task", "score", "source"}, rows);
  out["downstream"] = down;
  io::write_file_atomically(dir / "results.json", out.dump(1) + "\n");
}

}  // namespace brainalign::study