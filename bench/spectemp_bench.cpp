// Spectrotemporal features of the 165 natural sounds: wav to 'avgpool', the sounds split over
// worker threads as a caller would parallelise them.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "brainalign/dsp/spectemp.h"

namespace {

namespace fs = std::filesystem;

// The stimuli under $BRAINALIGN_SHARED/data/natsound165/wav; empty when the variable is unset.
std::vector<fs::path> stimuli() {
  const char* shared = std::getenv("BRAINALIGN_SHARED");
  std::vector<fs::path> paths;
  if (shared == nullptr) return paths;
  for (const auto& entry : fs::directory_iterator(fs::path(shared) / "data/natsound165/wav")) {
    if (entry.path().extension() == ".wav") paths.push_back(entry.path());
  }
  return paths;
}

void BM_SpectempNaturalSounds(benchmark::State& state) {
  const auto paths = stimuli();
  if (paths.empty()) {
    state.SkipWithError("set BRAINALIGN_SHARED to the shared data folder");
    return;
  }
  const brainalign::dsp::SpectempModel model;
  const auto workers = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        for (std::size_t i = next++; i < paths.size(); i = next++) {
          benchmark::DoNotOptimize(model.features(brainalign::dsp::read_audio(paths[i])));
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  state.counters["sounds"] = static_cast<double>(paths.size());
}
BENCHMARK(BM_SpectempNaturalSounds)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

void BM_Cochleagram(benchmark::State& state) {
  const brainalign::dsp::Cochleagram cochleagram;
  std::vector<double> x(40000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * std::sin(0.37 * static_cast<double>(i));
  for (auto _ : state) benchmark::DoNotOptimize(cochleagram.compute(x));
}
BENCHMARK(BM_Cochleagram)->Unit(benchmark::kMillisecond);

void BM_SpectempFilterBank(benchmark::State& state) {
  const brainalign::dsp::Cochleagram cochleagram;
  const brainalign::dsp::SpectempFilterBank filterbank;
  std::vector<double> x(40000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * std::sin(0.37 * static_cast<double>(i));
  const auto coch = cochleagram.compute(x);
  for (auto _ : state) benchmark::DoNotOptimize(filterbank.avgpool(coch));
}
BENCHMARK(BM_SpectempFilterBank)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
