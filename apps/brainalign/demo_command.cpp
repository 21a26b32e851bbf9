#include <chrono>
#include <cstdio>
#include <memory>

#include "brainalign/data/data_registry.h"
#include "brainalign/features/extract.h"
#include "brainalign/models/registry.h"
#include "brainalign/protocols/score.h"
#include "commands.h"

namespace brainalign::cli {

// The main job: the spectrotemporal baseline's features of the 165 real sounds against the six
// NH2015 components, component regression under the 2025 protocol.
Action add_demo(CLI::App& app) {
  auto out = std::make_shared<std::string>("brainalign-demo");
  auto threads = std::make_shared<int>(0);
  app.add_option("--out", *out, "Output folder")->capture_default_str();
  app.add_option("--threads", *threads, "Threads (default: every core)");
  return [out, threads] {
    data::FetchOptions fetch;
    fetch.progress = show_progress;
    fetch.note = show_note;
    data::fetch_dataset("natsound165", fetch);
    const auto root = data::fetch_dataset("natsound165-folds", fetch);
    const auto folder = root / "natsound165";

    const auto model = models::make_model("spectemp");
    features::ExtractOptions extract;
    extract.threads = *threads;
    extract.progress = show_progress;
    const auto start = std::chrono::steady_clock::now();
    const features::ExtractedFeatures extracted =
        features::extract_features(*model, features::list_audio_files(folder / "wav"), extract);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const features::FeatureSet features = features::to_feature_set(extracted);

    const data::BrainDataset dataset = data::load_nh2015_components(folder / "components.mat");
    protocols::ScoreOptions o;
    o.protocol = protocols::Protocol::Pepino2025;
    o.analysis = protocols::Analysis::Components;
    o.folds_csv = folder / "folds_5x33.csv";
    o.threads = *threads;
    o.progress = show_progress;
    const protocols::ScoreResult result = protocols::score(features, dataset, o);
    protocols::write_score_result(*out, result);

    std::printf(
        "spectemp features (layer avgpool, %lld values) of the %zu sounds in %.1f s "
        "(%d computed, %d from cache)\n",
        static_cast<long long>(features.layers.front().values.cols()), features.stimuli.size(),
        seconds, extracted.computed, extracted.from_cache);
    std::printf("NH2015 components, pepino2025 component regression (5 folds), data in %s\n",
                folder.string().c_str());
    std::printf("%-12s %8s\n", "component", "r^2");
    for (const auto& target : dataset.targets) {
      std::printf("%-12s %8.4f\n", target.id.c_str(), result.summary.per_component.at(target.id));
    }
    std::printf("%-12s %8.4f\nresults in %s/\n", "mean", result.summary.value, out->c_str());
  };
}

}  // namespace brainalign::cli
