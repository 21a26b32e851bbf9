#include <iostream>
#include <memory>

#include "brainalign/synthetic/synthetic.h"
#include "commands.h"

namespace brainalign::cli {

Action add_synth(CLI::App& app) {
  auto spec = std::make_shared<synthetic::SyntheticSpec>();
  auto out = std::make_shared<std::string>();
  app.add_option("--stimuli", spec->stimuli, "Stimuli")->capture_default_str();
  app.add_option("--voxels", spec->voxels, "Voxels in all")->capture_default_str();
  app.add_option("--subjects", spec->subjects, "Subjects")->capture_default_str();
  app.add_option("--repetitions", spec->repetitions, "Repetitions per stimulus")
      ->capture_default_str();
  app.add_option("--layers", spec->layers, "Model layers")->capture_default_str();
  app.add_option("--features", spec->features, "Features per layer")->capture_default_str();
  app.add_option("--latent", spec->latent, "Latent factors per layer")->capture_default_str();
  app.add_option("--min-reliability", spec->min_reliability,
                 "Lowest planted repetition correlation")
      ->capture_default_str();
  app.add_option("--max-reliability", spec->max_reliability,
                 "Highest planted repetition correlation")
      ->capture_default_str();
  app.add_option("--folds", spec->folds, "Folds of the written fold assignment")
      ->capture_default_str();
  app.add_option("--seed", spec->seed, "Random seed")->capture_default_str();
  app.add_option("--out", *out, "Output folder")->required();
  return [spec, out] {
    synthetic::save_synthetic_study(*out, synthetic::make_synthetic_study(*spec));
    std::cout << "wrote " << *out << "/dataset, features.npz, folds.csv, ground_truth.csv\n";
  };
}

}  // namespace brainalign::cli
