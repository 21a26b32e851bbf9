// Feature extraction of the 165 natural sounds ($BRAINALIGN_SHARED/data/natsound165/wav) with
// the spectemp model: wav files to the pooled feature set, as `brainalign extract` runs it.
// Reports wall time and the real-time factor (seconds of audio per second of computing).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/features/extract.h"
#include "brainalign/models/registry.h"

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> stimuli() {
  const char* shared = std::getenv("BRAINALIGN_SHARED");
  if (shared == nullptr) return {};
  return brainalign::features::list_audio_files(fs::path(shared) / "data/natsound165/wav");
}

void report(benchmark::State& state, const std::vector<fs::path>& files) {
  // The stimuli are 2 s each; the spectemp model reads exactly 2 s of every clip.
  const double audio_seconds = 2.0 * static_cast<double>(files.size());
  state.counters["sounds"] = static_cast<double>(files.size());
  state.counters["realtime_factor"] = benchmark::Counter(
      audio_seconds * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Every sound computed (no cache), on state.range(0) threads.
void BM_ExtractSpectemp165(benchmark::State& state) {
  const auto files = stimuli();
  if (files.empty()) {
    state.SkipWithError("set BRAINALIGN_SHARED to the shared data folder");
    return;
  }
  const auto model = brainalign::models::make_model("spectemp");
  brainalign::features::ExtractOptions options;
  options.use_cache = false;
  options.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(brainalign::features::extract_features(*model, files, options));
  }
  report(state, files);
}
BENCHMARK(BM_ExtractSpectemp165)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

// A rerun: every sound read back from a warm cache (checksums of the wav files and entries).
void BM_ExtractSpectemp165Cached(benchmark::State& state) {
  const auto files = stimuli();
  if (files.empty()) {
    state.SkipWithError("set BRAINALIGN_SHARED to the shared data folder");
    return;
  }
  const auto model = brainalign::models::make_model("spectemp");
  brainalign::features::ExtractOptions options;
  options.threads = 2;
  options.cache_dir = fs::temp_directory_path() / "brainalign_extract_bench_cache";
  fs::remove_all(options.cache_dir);
  brainalign::features::extract_features(*model, files, options);
  for (auto _ : state) {
    benchmark::DoNotOptimize(brainalign::features::extract_features(*model, files, options));
  }
  fs::remove_all(options.cache_dir);
  report(state, files);
}
BENCHMARK(BM_ExtractSpectemp165Cached)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
