// Times BEATs forward passes of the native port: beats_bench MODEL.pt AUDIO.npy OUT.npy
// REPEATS THREADS. Prints one JSON line (load time, median and fastest forward, peak resident
// memory) and writes the last hidden state to OUT.npy. bench/beats/beats_bench.py runs it
// next to the same computation in PyTorch eager.
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "brainalign/io/npy.h"
#include "brainalign/neural/families/beats/beats.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s MODEL.pt AUDIO.npy OUT.npy REPEATS THREADS\n", argv[0]);
    return 2;
  }
  using brainalign::neural::BeatsModel;
  const int repeats = std::max(1, std::stoi(argv[4]));
  at::set_num_threads(std::max(1, std::stoi(argv[5])));
  auto start = std::chrono::steady_clock::now();
  const auto checkpoint = brainalign::neural::read_torch_checkpoint(argv[1]);
  const double read_s = seconds_since(start);
  const BeatsModel model = BeatsModel::from_checkpoint(checkpoint);
  const double load_s = seconds_since(start);
  const std::vector<double> waveform = brainalign::io::read_npy(argv[2]).to_doubles();

  model.forward(waveform);  // warm-up
  std::vector<double> times;
  at::Tensor output;
  for (int i = 0; i < repeats; ++i) {
    start = std::chrono::steady_clock::now();
    output = model.forward(waveform).back().value;
    times.push_back(seconds_since(start));
  }
  const at::Tensor contiguous = output.contiguous();
  std::vector<std::size_t> shape(contiguous.sizes().begin(), contiguous.sizes().end());
  brainalign::io::write_npy(argv[3], contiguous.data_ptr<float>(), shape);

  std::sort(times.begin(), times.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"read_s\": %.4f, \"load_s\": %.4f, \"median_s\": %.4f, \"min_s\": %.4f, "
      "\"peak_rss_mb\": %.1f}\n",
      read_s, load_s, times[times.size() / 2], times.front(),
      static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "beats_bench: %s\n", error.what());
    return 1;
  }
}
