#include <cstdio>
#include <memory>
#include <optional>

#include "brainalign/data/data_registry.h"
#include "brainalign/hear/downstream.h"
#include "brainalign/models/registry.h"
#include "commands.h"

namespace brainalign::cli {

Action add_downstream(CLI::App& app) {
  struct Args {
    std::string model, weights, out, protocol = "pepino2025", layers;
    std::vector<std::string> tasks;
    std::uint64_t seed = 0;
    int threads = 0, max_epochs = 0;
    bool no_cache = false, quiet = false, probe_float32 = false, yes = false;
  };
  auto a = std::make_shared<Args>();
  app.add_option("--model", a->model, "Model name, <family>:PATH or auto:PATH (see below)")
      ->required();
  // A function: listing the families opens the neural plugin, which only --help needs.
  app.footer(std::function<std::string()>([] { return "Models:\n" + models::describe_models(); }));
  app.add_option("--weights", a->weights,
                 "Weights for the model's architecture: a training checkpoint (.ckpt) or "
                 "state_dict, for the families that take one (encodecmae:)");
  app.add_option("--task", a->tasks,
                 "A hear-preprocess task folder, or a registered task (hear:esc50, ...; fetched "
                 "when missing, asking from 1 GiB on unless --yes) (repeatable)")
      ->required();
  app.add_flag("--yes", a->yes, "Download registered tasks and models without asking");
  app.add_option("--protocol", a->protocol, "pepino2025 or hear2021")->capture_default_str();
  app.add_option("--seed", a->seed, "Seed of every probe's generators")->capture_default_str();
  app.add_option("--threads", a->threads, "Threads (default: every core)");
  app.add_option("--max-epochs", a->max_epochs,
                 "Cap on training epochs, for quick checks only (default: the protocol's)");
  app.add_flag("--probe-float32", a->probe_float32,
               "Keep the probe's inputs in float32. pepino2025 casts them to float16 and scores "
               "the raw logits, as the published code; hear2021 keeps float32 and scores "
               "probabilities, as the HEAR kit");
  app.add_option("--layers", a->layers,
                 "What the probe combines: all, pepino2025, tuckute2023 (a study's layers), or "
                 "names separated by commas (default: the protocol's; pepino2025 takes the "
                 "model's layers of the 2025 study as its code does, or every layer for a model "
                 "it did not use; hear2021 the last layer)");
  app.add_option("--out", a->out, "Output folder")->required();
  app.add_flag("--no-cache", a->no_cache, "Neither read nor write the feature cache");
  app.add_flag("--quiet", a->quiet, "No progress output");
  return [a] {
    using namespace hear;
    const Protocol protocol = parse_protocol(a->protocol);
    io::FetchOptions fetch;
    fetch.before_download = confirm_download(a->yes);
    if (!a->quiet) {
      fetch.progress = show_progress;
      fetch.note = show_note;
    }
    const auto model = models::make_model(
        a->model,
        a->weights.empty() ? std::nullopt : std::optional<std::filesystem::path>(a->weights),
        fetch);
    features::ExtractOptions extract;
    extract.threads = a->threads;
    extract.use_cache = !a->no_cache;
    ProbeOptions probe = ProbeOptions::for_protocol(protocol);
    probe.seed = a->seed;
    probe.threads = a->threads;
    probe.epoch_cap = a->max_epochs;
    if (a->probe_float32) probe.float16_inputs = false;
    probe.layers = models::choose_layers(*model, a->layers,
                                         protocol == Protocol::kPepino2025 ? "pepino2025" : "");
    if (!a->quiet) {
      extract.progress = show_progress;
      probe.progress = show_progress;
    }
    std::vector<hear::HearTask> tasks;  // every folder checked before any work starts
    for (const auto& dir : a->tasks)
      tasks.push_back(hear::read_hear_task(data::hear_task_folder(dir, fetch)));
    evaluate_model(*model, tasks, protocol, probe, extract, a->out,
                   [](const TaskResult& result, const hear::TaskEmbeddings& embeddings) {
                     std::printf(
                         "%s: embeddings of %d clips at %d Hz (%d computed, %d from "
                         "cache)\n",
                         result.task.c_str(), embeddings.computed + embeddings.from_cache,
                         embeddings.sample_rate, embeddings.computed, embeddings.from_cache);
                     std::printf("%s: %s = %.4f (%zu folds, %s)\n", result.task.c_str(),
                                 result.metric.c_str(), result.score, result.folds.size(),
                                 result.chosen_config.name().c_str());
                   });
  };
}

}  // namespace brainalign::cli
