// The task evaluator a study runs computed downstream tasks with: the protocol's probes on the
// embeddings the study extracted, exactly as `brainalign downstream` trains them.
#pragma once

#include "brainalign/study/task_evaluator.h"

namespace brainalign::neural {

// evaluate_task() under the settings' protocol, seed, epoch cap and threads; the summary is
// task_summary_json() without its timing.
study::TaskEvaluator study_task_evaluator();

}  // namespace brainalign::neural
