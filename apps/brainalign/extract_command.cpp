#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/features/extract.h"
#include "brainalign/models/registry.h"
#include "commands.h"

namespace brainalign::cli {

Action add_extract(CLI::App& app) {
  struct Args {
    std::string model, weights, stimuli, out, pool = "mean", layers;
    int threads = 0;
    std::size_t memory_budget_mib = 0;
    bool no_cache = false, quiet = false, yes = false;
  };
  auto a = std::make_shared<Args>();
  app.add_option("--model", a->model, "Model name, <family>:PATH or auto:PATH (see below)")
      ->required();
  // A function: listing the families opens the neural plugin, which only --help needs.
  app.footer(std::function<std::string()>([] { return "Models:\n" + models::describe_models(); }));
  app.add_option("--weights", a->weights,
                 "Weights for the model's architecture: a training checkpoint (.ckpt) or "
                 "state_dict, for the families that take one (encodecmae:)");
  app.add_option("--stimuli", a->stimuli, "Folder of sound files, or a data set (natsound165)")
      ->required();
  app.add_option("--out", a->out, "Feature set to write (.npz)")->required();
  app.add_option("--pool", a->pool, "mean (one vector per stimulus) or none (keep time)")
      ->capture_default_str();
  app.add_option("--layers", a->layers,
                 "Keep only some layers: those a published study used (tuckute2023 or "
                 "pepino2025, docs/neural.md), all, or names separated by commas");
  app.add_option("--threads", a->threads, "Threads (default: every core)");
  app.add_option("--memory-budget", a->memory_budget_mib,
                 "MiB that the clips running at once may use together (default: half of the "
                 "available memory)");
  app.add_flag("--no-cache", a->no_cache, "Neither read nor write the feature cache");
  app.add_flag("--yes", a->yes,
               "Download the sounds or a published model without asking, also from 1 GiB on");
  app.add_flag("--quiet", a->quiet, "No progress output");
  return [a] {
    features::ExtractOptions options;
    options.pooling = features::parse_pooling(a->pool);
    options.threads = a->threads;
    options.use_cache = !a->no_cache;
    options.memory_budget = a->memory_budget_mib << 20;
    data::FetchOptions fetch;
    fetch.before_download = confirm_download(a->yes);
    if (!a->quiet) {
      options.progress = show_progress;
      fetch.progress = show_progress;
      fetch.note = show_note;
    }
    const auto model = models::make_model(
        a->model,
        a->weights.empty() ? std::nullopt : std::optional<std::filesystem::path>(a->weights),
        fetch);
    const auto layers = models::choose_layers(*model, a->layers);
    const auto files = features::resolve_stimuli(a->stimuli, fetch);
    features::ExtractedFeatures features = features::extract_features(*model, files, options);
    if (!layers.empty()) features = features::select_layers(std::move(features), layers);
    features::save_extracted_features(a->out, features);
    std::printf("%s: %zu stimuli x %zu layers (%d computed, %d from cache) -> %s\n",
                features.model.c_str(), features.stimuli.size(), features.layers.size(),
                features.computed, features.from_cache, a->out.c_str());
  };
}

}  // namespace brainalign::cli
