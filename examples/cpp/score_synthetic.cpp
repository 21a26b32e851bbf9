// Plants a layer-driven response in synthetic voxels and scores the features with the 2025
// protocol's voxel-wise regression, through the installed library.
#include <brainalign/protocols/score.h>
#include <brainalign/synthetic/synthetic.h>

#include <cstdio>

int main() {
  brainalign::synthetic::SyntheticSpec spec;
  spec.stimuli = 60;
  spec.voxels = 40;
  spec.subjects = 2;
  spec.layers = 3;
  spec.features = 24;
  spec.latent = 4;
  spec.min_reliability = 0.8;
  spec.max_reliability = 0.9;
  const brainalign::synthetic::SyntheticStudy study =
      brainalign::synthetic::make_synthetic_study(spec);

  brainalign::protocols::ScoreOptions options;
  options.folds = study.fold_of_stimulus;
  const brainalign::protocols::ScoreResult result =
      brainalign::protocols::score(study.features, study.dataset, options);
  std::printf("pepino2025 voxel-wise score of %lld voxels: %.6f\n",
              static_cast<long long>(result.summary.n_voxels_used), result.summary.value);
  return result.summary.value > 0.0 ? 0 : 1;
}
