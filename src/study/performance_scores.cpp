#include "brainalign/study/performance_scores.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace brainalign::study {

std::vector<DownstreamScore> performance_scores(const Study& study, const ResultsStore& store) {
  std::map<std::string, const StudyTask*> computed;
  for (const auto& t : study.tasks)
    if (t.computed()) computed[t.name] = &t;
  std::vector<DownstreamScore> out;
  for (const auto& d : store.downstream())
    if (!computed.count(d.task)) out.push_back(d);
  std::map<std::string, std::string> last;  // model -> its last checkpoint
  for (const auto& m : study.models)
    if (!m.checkpoints.empty()) last[m.name] = m.checkpoints.back().label;
  for (const auto& r : store.task_units()) {
    const auto task = computed.find(r.unit.task);
    const auto model = last.find(r.unit.model);
    if (task == computed.end() || model == last.end()) continue;
    if (model->second != r.unit.checkpoint || task->second->protocol != r.unit.protocol ||
        !std::isfinite(r.score))
      continue;
    out.push_back({r.unit.model, r.unit.task, r.score, "computed: " + r.unit.key()});
  }
  std::sort(out.begin(), out.end(), [](const DownstreamScore& a, const DownstreamScore& b) {
    return a.model != b.model ? a.model < b.model : a.task < b.task;
  });
  return out;
}

}  // namespace brainalign::study