#include "brainalign/synthetic/synthetic.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "brainalign/base/error.h"
#include "brainalign/io/csv.h"

namespace brainalign::synthetic {
namespace {

Matrix gaussian(std::mt19937_64& gen, Eigen::Index rows, Eigen::Index cols) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(gen);
  return m;
}

}  // namespace

SyntheticStudy make_synthetic_study(const SyntheticSpec& spec) {
  if (spec.stimuli < 10 || spec.voxels < 1 || spec.subjects < 1 || spec.repetitions < 1 ||
      spec.layers < 1 || spec.features < 1 || spec.latent < 1 || spec.folds < 3 ||
      spec.folds > spec.stimuli)
    throw InputError(
        "synth: sizes must be positive (at least 10 stimuli, 3 folds, one of everything else)");
  if (!(spec.min_reliability > 0 && spec.max_reliability < 1 &&
        spec.min_reliability <= spec.max_reliability))
    throw InputError("synth: reliabilities must satisfy 0 < min <= max < 1");
  std::mt19937_64 gen(spec.seed);
  const Eigen::Index S = spec.stimuli;
  SyntheticStudy out;
  for (int s = 0; s < spec.stimuli; ++s)
    out.dataset.stimuli.push_back("stim" + std::to_string(s + 1) + "_synthetic");
  out.dataset.name = "synthetic";
  out.dataset.source = "synthetic";
  out.features.source = "synthetic";
  out.features.stimuli = out.dataset.stimuli;

  // Latent factors drift from layer to layer, so neighbouring layers are alike.
  std::vector<Matrix> latent;
  Matrix z = gaussian(gen, S, spec.latent);
  for (int l = 0; l < spec.layers; ++l) {
    if (l > 0) z = 0.6 * z + 0.8 * gaussian(gen, S, spec.latent);
    latent.push_back(z);
    Matrix X =
        z * gaussian(gen, spec.latent, spec.features) / std::sqrt(static_cast<double>(spec.latent));
    X += 0.3 * gaussian(gen, S, spec.features);
    out.features.layers.push_back({"layer" + std::to_string(l), X});
  }

  std::uniform_real_distribution<double> uniform(spec.min_reliability, spec.max_reliability);
  std::normal_distribution<double> normal(0.0, 1.0);
  out.dataset.repetitions.assign(static_cast<size_t>(spec.repetitions), ColMatrix(S, spec.voxels));
  for (int v = 0; v < spec.voxels; ++v) {
    const int layer = v % spec.layers;
    const double reliability = uniform(gen);
    Vector w(spec.latent);
    for (Eigen::Index j = 0; j < w.size(); ++j) w(j) = normal(gen);
    Vector signal = latent[static_cast<size_t>(layer)] * w;
    signal = (signal.array() - signal.mean()) /
             std::sqrt((signal.array() - signal.mean()).square().mean());
    // Repetitions correlate at `reliability` when noise variance is 1/reliability - 1.
    const double noise = std::sqrt(1.0 / reliability - 1.0);
    for (int r = 0; r < spec.repetitions; ++r)
      for (Eigen::Index s = 0; s < S; ++s)
        out.dataset.repetitions[static_cast<size_t>(r)](s, v) =
            signal(s) + noise * normal(gen) + 1.0;
    const int subject = static_cast<int>(static_cast<long>(v) * spec.subjects / spec.voxels);
    out.dataset.targets.push_back({std::to_string(v), std::to_string(subject), ""});
    out.driving_layer.push_back(layer);
    out.reliability.push_back(reliability);
  }

  std::vector<int> order(static_cast<size_t>(S));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::shuffle(order.begin(), order.end(), gen);
  out.fold_of_stimulus.assign(static_cast<size_t>(S), 0);
  for (size_t i = 0; i < order.size(); ++i)
    out.fold_of_stimulus[static_cast<size_t>(order[i])] =
        static_cast<int>(i % static_cast<size_t>(spec.folds));
  out.dataset.folds = out.fold_of_stimulus;  // the dataset carries its folds
  return out;
}

void save_synthetic_study(const std::filesystem::path& dir, const SyntheticStudy& study) {
  std::filesystem::create_directories(dir);
  data::save_generic_dataset(dir / "dataset", study.dataset);
  features::save_feature_set(dir / "features.npz", study.features);
  std::vector<std::vector<std::string>> folds;
  for (size_t s = 0; s < study.dataset.stimuli.size(); ++s)
    folds.push_back({study.dataset.stimuli[s], std::to_string(study.fold_of_stimulus[s])});
  io::write_csv(dir / "folds.csv", {"stimulus", "fold"}, folds);
  std::vector<std::vector<std::string>> truth;
  for (size_t v = 0; v < study.dataset.targets.size(); ++v)
    truth.push_back({study.dataset.targets[v].id, study.dataset.targets[v].subject,
                     study.features.layers[static_cast<size_t>(study.driving_layer[v])].name,
                     std::to_string(study.reliability[v])});
  io::write_csv(dir / "ground_truth.csv", {"voxel_id", "subject", "layer", "reliability"}, truth);
}

}  // namespace brainalign::synthetic