#include "brainalign/hear/downstream.h"
#include "brainalign/study/task_evaluator.h"

namespace brainalign::study {

TaskEvaluator probe_task_evaluator() {
  return [](const hear::HearTask& task, const hear::TaskEmbeddings& embeddings,
            const TaskEvaluationSettings& settings) {
    const hear::Protocol protocol = hear::parse_protocol(settings.protocol);
    hear::ProbeOptions probe = hear::ProbeOptions::for_protocol(protocol);
    probe.seed = settings.seed;
    probe.threads = settings.threads;
    probe.epoch_cap = settings.max_epochs;
    if (settings.probe_float32) probe.float16_inputs = false;
    probe.layers = settings.layers;
    probe.progress = settings.progress;
    const hear::TaskResult result = hear::evaluate_task(task, embeddings, protocol, probe);
    TaskEvaluation out;
    out.metric = result.metric;
    out.score = result.score;
    out.summary = hear::task_summary_json(result);
    out.summary.erase("seconds");
    return out;
  };
}

}  // namespace brainalign::study
