// Running a study: computes every unit the store lacks (alignment units and downstream task
// units), each stored in one transaction, so a run killed at any moment resumes where it
// stopped. Under MPI the missing units are dealt out over the ranks, which all write into the
// one store (SQLite's locks serialise them).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brainalign/protocols/score.h"
#include "brainalign/study/process_group.h"
#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"
#include "brainalign/study/task_evaluator.h"

namespace brainalign::study {

struct StudyRunOptions {
  int threads = 0;  // per process; 0: the study's setting, else the cores shared by the ranks
  std::function<void(const std::string& stage, int done, int total)> progress;
  std::function<void(const std::string& line)> note;
  // Trains the probes of computed downstream tasks. Empty: probe_task_evaluator(), when this
  // build can train probes (hear::has_probe_trainer()); else the units of computed tasks are
  // refused.
  TaskEvaluator evaluate_task;
};

struct StudyRunSummary {
  int units = 0;       // in the study: alignment and task units
  int task_units = 0;  // of which downstream task units
  int already = 0;     // stored before this run
  int computed = 0;    // by this process
  // Units whose inputs were refused or whose computation failed: on rank 0 every failure the
  // store holds for the study's units after this run, elsewhere this process's own.
  std::vector<UnitFailure> failures;
};

StudyRunSummary run_study(const Study& study, const ProcessGroup& group,
                          const StudyRunOptions& options = {});

// The downstream scores of the study's tasks read from CSVs: rows model,task,score from each
// such task's scores file (rows of other tasks are ignored; computed tasks have none).
// InputError naming the file and line.
std::vector<DownstreamScore> read_downstream_scores(const Study& study);

// The result rows of one scoring summary: overall (value, sem, best layer), per subject,
// per component and per layer.
std::vector<ResultRow> result_rows(const protocols::ScoreSummary& summary);

}  // namespace brainalign::study