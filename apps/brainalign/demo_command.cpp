#include <cstdio>
#include <iostream>
#include <memory>

#include "brainalign/align/score.h"
#include "brainalign/data/synthetic.h"
#include "commands.h"

namespace brainalign::cli {

// The main job: the real NH2015 components scored with the 2025 protocol. Until audio
// models are available the feature set is a seeded random-feature model (a chance baseline).
Action add_demo(CLI::App& app) {
  auto out = std::make_shared<std::string>("brainalign-demo");
  auto threads = std::make_shared<int>(0);
  app.add_option("--out", *out, "Output folder")->capture_default_str();
  app.add_option("--threads", *threads, "Threads (default: every core)");
  return [out, threads] {
    const BrainDataset dataset = load_dataset("nh2015comp");
    SyntheticSpec spec;
    spec.stimuli = static_cast<int>(dataset.n_stimuli());
    spec.voxels = 1;
    spec.subjects = 1;
    spec.layers = 4;
    spec.features = 256;
    FeatureSet features = make_synthetic_study(spec).features;
    features.stimuli = dataset.stimuli;
    features.source = "random-feature baseline (seed 0)";
    ScoreOptions o;
    o.protocol = Protocol::Pepino2025;
    o.analysis = Analysis::Components;
    o.threads = *threads;
    o.progress = show_progress;
    const ScoreResult result = score(features, dataset, o);
    write_score_result(*out, result);
    std::printf("NH2015 components, pepino2025 component regression, %s\n", features.source.c_str());
    std::printf("%-12s %8s\n", "component", "r^2");
    for (const auto& target : dataset.targets)
      std::printf("%-12s %8.4f\n", target.id.c_str(), result.summary["per_component"][target.id].get<double>());
    std::printf("%-12s %8.4f\nresults in %s/\n", "mean", result.summary["value"].get<double>(), out->c_str());
  };
}

}  // namespace brainalign::cli
