#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "brainalign/align/rdm.h"
#include "brainalign/align/rsa.h"

namespace brainalign {
namespace {

constexpr int kStimuli = 165;

Matrix gaussian(std::mt19937& rng, Eigen::Index rows, Eigen::Index cols, double scale = 1.0) {
  std::normal_distribution<double> normal(0.0, scale);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = normal(rng);
  }
  return m;
}

struct Problem {
  std::vector<Matrix> brain_features;
  std::vector<Matrix> brain_rdms;
  std::vector<Matrix> layer_rdms;
  std::vector<int> folds;
};

const Problem& problem() {
  static const Problem p = [] {
    Problem q;
    std::mt19937 rng(8);
    const Matrix latent = gaussian(rng, kStimuli, 6);
    for (int s = 0; s < 8; ++s) {
      q.brain_features.push_back(latent * gaussian(rng, 6, 1000) +
                                 gaussian(rng, kStimuli, 1000, 2.0));
      q.brain_rdms.push_back(align::rdm(q.brain_features.back()));
    }
    for (int l = 0; l < 13; ++l) {
      q.layer_rdms.push_back(
          align::rdm(latent * gaussian(rng, 6, 768) + gaussian(rng, kStimuli, 768, 1.0 + l)));
    }
    for (int s = 0; s < kStimuli; ++s) q.folds.push_back(s % 5);
    return q;
  }();
  return p;
}

void BM_RdmOfSubject(benchmark::State& state) {
  const Problem& p = problem();
  for (auto _ : state) benchmark::DoNotOptimize(align::rdm(p.brain_features[0]));
}
BENCHMARK(BM_RdmOfSubject)->Unit(benchmark::kMillisecond);

void BM_PrepareThirteenLayers(benchmark::State& state) {
  const Problem& p = problem();
  for (auto _ : state) benchmark::DoNotOptimize(align::PreparedLayerRdms(p.layer_rdms, p.folds));
}
BENCHMARK(BM_PrepareThirteenLayers)->Unit(benchmark::kMillisecond);

void BM_CrossValidatedOneSubject(benchmark::State& state) {
  const Problem& p = problem();
  const align::PreparedLayerRdms prepared(p.layer_rdms, p.folds);
  for (auto _ : state) benchmark::DoNotOptimize(prepared.crossvalidated(p.brain_rdms[0]));
}
BENCHMARK(BM_CrossValidatedOneSubject)->Unit(benchmark::kMillisecond);

void BM_CrossValidatedEightSubjectsThirteenLayers(benchmark::State& state) {
  const Problem& p = problem();
  for (auto _ : state) {
    benchmark::DoNotOptimize(align::rsa_crossvalidated(p.brain_rdms, p.layer_rdms, p.folds));
  }
}
BENCHMARK(BM_CrossValidatedEightSubjectsThirteenLayers)->Unit(benchmark::kMillisecond);

void BM_LayerwiseEightSubjectsThirteenLayers(benchmark::State& state) {
  const Problem& p = problem();
  for (auto _ : state) benchmark::DoNotOptimize(align::rsa_layerwise(p.brain_rdms, p.layer_rdms));
}
BENCHMARK(BM_LayerwiseEightSubjectsThirteenLayers)->Unit(benchmark::kMillisecond);

void BM_NoiseCeilingEightSubjects(benchmark::State& state) {
  const Problem& p = problem();
  for (auto _ : state) benchmark::DoNotOptimize(align::rsa_noise_ceiling(p.brain_rdms));
}
BENCHMARK(BM_NoiseCeilingEightSubjects)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace brainalign
BENCHMARK_MAIN();
