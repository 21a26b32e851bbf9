// The downstream scores a study relates alignment to: the scores of its CSV tasks as stored,
// and for each computed task every model's score at its last checkpoint (the checkpoint whose
// alignment the analyses use) under the task's protocol.
#pragma once

#include <vector>

#include "brainalign/study/results_store.h"
#include "brainalign/study/study_file.h"

namespace brainalign::study {

// Ordered by model, task; `source` is the CSV file, or "computed: <task unit key>".
std::vector<DownstreamScore> performance_scores(const Study& study, const ResultsStore& store);

}  // namespace brainalign::study