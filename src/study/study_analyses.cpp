#include "brainalign/study/study_analyses.h"

#include <cmath>

#include "brainalign/io/csv.h"
#include "brainalign/io/json.h"
#include "brainalign/study/performance_scores.h"

namespace brainalign::study {
namespace {

using nlohmann::json;

// Text that reads back as the same double; empty where the value is not finite.

}  // namespace

StudyAnalyses analyse_study(const Study& study, const ResultsStore& store) {
  StudyAnalyses a;
  const auto results = store.results();
  a.alignment_performance =
      alignment_vs_performance(study, results, performance_scores(study, store));
  a.dynamics = pretraining_dynamics(study, results, store.task_units());
  return a;
}

void write_study_analyses(const StudyAnalyses& a, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : a.alignment_performance.cells)
    rows.push_back({c.subset, c.metric, c.performance, std::to_string(c.n), io::format_cell(c.r),
                    io::format_cell(c.p), io::format_cell(c.ci_low), io::format_cell(c.ci_high),
                    io::format_cell(c.permutation_p), io::format_cell(c.holm_p),
                    io::format_cell(c.rho), io::format_cell(c.rho_p)});
  io::write_csv(dir / "table1.csv",
                {"subset", "metric", "performance", "n", "pearson_r", "p", "ci_low", "ci_high",
                 "permutation_p", "holm_p", "spearman_rho", "spearman_p"},
                rows);
  rows.clear();
  const auto& ap = a.alignment_performance;
  std::vector<std::string> header{"model"};
  for (const auto& t : ap.tasks) header.push_back(t);
  header.push_back("overall");
  for (size_t i = 0; i < ap.models.size(); ++i) {
    std::vector<std::string> row{ap.models[i]};
    for (double s : ap.task_scores[i]) row.push_back(io::format_cell(s));
    row.push_back(io::format_cell(ap.overall[i]));
    rows.push_back(row);
  }
  io::write_csv(dir / "overall.csv", header, rows);
  rows.clear();
  for (const auto& c : a.dynamics)
    for (size_t i = 0; i < c.values.size(); ++i)
      rows.push_back({c.model, c.dataset, c.analysis, c.protocol, c.roi, c.layer,
                      std::to_string(c.steps[i]), c.checkpoints[i], io::format_cell(c.values[i]),
                      c.smoothed.empty() ? "" : io::format_cell(c.smoothed[i])});
  io::write_csv(dir / "dynamics.csv",
                {"model", "dataset", "analysis", "protocol", "roi", "layer", "step", "checkpoint",
                 "value", "smoothed"},
                rows);
}

json to_json(const StudyAnalyses& a) {
  json out;
  const auto& ap = a.alignment_performance;
  json models = json::array();
  for (size_t i = 0; i < ap.models.size(); ++i) {
    json m{{"model", ap.models[i]}, {"overall", io::json_number(ap.overall[i])}};
    for (size_t t = 0; t < ap.tasks.size(); ++t)
      m[ap.tasks[t]] = io::json_number(ap.task_scores[i][t]);
    for (size_t k = 0; k < ap.metrics.size(); ++k)
      m["alignment"][ap.metrics[k]] = io::json_number(ap.metric_values[k][i]);
    models.push_back(m);
  }
  out["tasks"] = ap.tasks;
  out["metrics"] = ap.metrics;
  out["models"] = models;
  json cells = json::array();
  for (const auto& c : ap.cells)
    cells.push_back({{"subset", c.subset},
                     {"metric", c.metric},
                     {"performance", c.performance},
                     {"n", c.n},
                     {"r", io::json_number(c.r)},
                     {"p", io::json_number(c.p)},
                     {"ci_low", io::json_number(c.ci_low)},
                     {"ci_high", io::json_number(c.ci_high)},
                     {"permutation_p", io::json_number(c.permutation_p)},
                     {"holm_p", io::json_number(c.holm_p)},
                     {"rho", io::json_number(c.rho)},
                     {"rho_p", io::json_number(c.rho_p)}});
  out["table1"] = cells;
  json dyn = json::array();
  for (const auto& c : a.dynamics)
    for (size_t i = 0; i < c.values.size(); ++i)
      dyn.push_back(
          {{"model", c.model},
           {"dataset", c.dataset},
           {"analysis", c.analysis},
           {"protocol", c.protocol},
           {"roi", c.roi.empty() ? "whole" : c.roi},
           {"layer", c.layer},
           {"step", c.steps[i]},
           {"value", io::json_number(c.values[i])},
           {"smoothed", c.smoothed.empty() ? json(nullptr) : io::json_number(c.smoothed[i])}});
  out["dynamics"] = dyn;
  return out;
}

}  // namespace brainalign::study