// Alignment versus downstream performance (Table 1 of Pepino et al. 2025): across models,
// the Pearson r (two-sided p) of the overall score and of each task against every alignment
// metric, for all models and for the robustness subset (overall above a threshold). Beyond
// the paper: bootstrap confidence intervals over models, permutation p-values, Spearman's
// rho, and Holm's correction across each subset's table. Seeded, hence deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"

namespace brainalign::study {

// Holm's step-down adjustment of p-values (NaN stays NaN and is not counted).
std::vector<double> holm_adjust(const std::vector<double>& p);

struct CorrelationCell {
  std::string metric;              // dataset/analysis/protocol[/roi][:component]
  std::string performance;         // "overall" or a task
  std::string subset;              // "all" or "overall>threshold"
  int n = 0;                       // models with both values
  double r = 0, p = 0;             // Pearson and its two-sided p
  double rho = 0, rho_p = 0;       // Spearman and its p
  double ci_low = 0, ci_high = 0;  // percentile bootstrap CI of r over models (95 %)
  double permutation_p = 0;        // two-sided, (1 + hits) / (1 + permutations)
  double holm_p = 0;               // Holm-adjusted p across the subset's table
};

struct AlignmentPerformance {
  std::vector<std::string> models;  // with at least one metric and an overall score
  std::vector<std::string> tasks;
  std::vector<double> overall;                   // per model (hear::overall_scores over every
                                                 // model with downstream scores)
  std::vector<std::vector<double>> task_scores;  // [model][task], NaN when missing
  std::vector<std::string> metrics;
  std::vector<std::vector<double>> metric_values;  // [metric][model], NaN when missing
  std::vector<CorrelationCell> cells;
};

// A model's alignment is its last checkpoint's (largest step) overall value per metric,
// whole units and, for component datasets, each component.
AlignmentPerformance alignment_vs_performance(const Study& study,
                                              const std::vector<TidyResult>& results,
                                              const std::vector<DownstreamScore>& downstream);

// One correlation cell with its resampling statistics.
CorrelationCell correlate(const std::vector<double>& alignment,
                          const std::vector<double>& performance, int bootstrap, int permutations,
                          std::uint64_t seed);

}  // namespace brainalign::study