#include "brainalign/neural/probes/study_evaluator.h"

#include "brainalign/neural/probes/evaluate.h"

namespace brainalign::neural {

study::TaskEvaluator study_task_evaluator() {
  return [](const hear::HearTask& task, const hear::TaskEmbeddings& embeddings,
            const study::TaskEvaluationSettings& settings) {
    const Protocol protocol = parse_protocol(settings.protocol);
    ProbeOptions probe = ProbeOptions::for_protocol(protocol);
    probe.seed = settings.seed;
    probe.threads = settings.threads;
    probe.epoch_cap = settings.max_epochs;
    if (settings.probe_float32) probe.float16_inputs = false;
    probe.layers = settings.layers;
    probe.progress = settings.progress;
    const TaskResult result = evaluate_task(task, embeddings, protocol, probe);
    study::TaskEvaluation out;
    out.metric = result.metric;
    out.score = result.score;
    out.summary = task_summary_json(result);
    out.summary.erase("seconds");
    return out;
  };
}

}  // namespace brainalign::neural
