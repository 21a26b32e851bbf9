// Probe training for one task (5 folds, 2,000 clips, 13 layers x 768, 10 classes) with
// brainalign's libtorch trainer against the same loop in PyTorch eager
// (bench/downstream_probe_reference.py), run in the same process on the same data.
// Usage: downstream_bench [epochs=20] [threads=2]. Every probe trains exactly `epochs` epochs
// (patience = epochs) with one configuration (hidden [1024], Xavier uniform, lr 1e-3), so
// both sides do the same work.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "brainalign/hear/metrics.h"
#include "brainalign/hear/probe.h"
#include "brainalign/io/npy.h"
#include "brainalign/neural/probes/probe_training.h"

using namespace brainalign;
using namespace brainalign::hear;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  brainalign::neural::register_probe_trainer();  // libtorch training, linked in
  constexpr int kClips = 2000, kLayers = 13, kWidth = 768, kClasses = 10, kFolds = 5;
  // Class means in a random 16-dimensional subspace plus noise, stronger in later layers.
  std::mt19937 rng(0);
  std::normal_distribution<double> g(0, 1);
  Matrix means(kClasses, kWidth);
  for (Eigen::Index i = 0; i < means.size(); ++i) means.data()[i] = g(rng) * 0.15;
  std::vector<int> label(kClips);
  std::vector<Matrix> layers(kLayers, Matrix(kClips, kWidth));
  for (int i = 0; i < kClips; ++i) {
    // Fold of clip i: i % 5; its class: (i / 5) % 10, so every fold holds every class.
    const int c = (i / kFolds) % kClasses;
    label[static_cast<std::size_t>(i)] = c;
    for (int l = 0; l < kLayers; ++l) {
      for (int d = 0; d < kWidth; ++d) {
        layers[static_cast<std::size_t>(l)](i, d) = g(rng) + means(c, d) * (l + 1) / kLayers;
      }
    }
  }
  const auto dir = std::filesystem::temp_directory_path() / "brainalign_downstream_bench";
  std::filesystem::create_directories(dir);
  {
    std::vector<float> x(static_cast<std::size_t>(kClips) * kLayers * kWidth);
    std::size_t k = 0;
    for (int i = 0; i < kClips; ++i) {
      for (int l = 0; l < kLayers; ++l) {
        for (int d = 0; d < kWidth; ++d) {
          x[k++] = static_cast<float>(layers[static_cast<std::size_t>(l)](i, d));
        }
      }
    }
    io::write_npy(dir / "x.npy", x.data(), {kClips, kLayers, kWidth});
    std::vector<std::int64_t> y(label.begin(), label.end());
    io::write_npy(dir / "y.npy", y.data(), {kClips});
  }
  // fold f: clips with i % 5 == f; test = fold f, valid = fold f+1, train = the rest.
  auto split = [&](const std::vector<int>& folds) {
    ProbeSplit s;
    std::vector<int> rows;
    for (int i = 0; i < kClips; ++i) {
      for (int f : folds) {
        if (i % kFolds == f) rows.push_back(i);
      }
    }
    s.targets = Matrix::Zero(static_cast<Eigen::Index>(rows.size()), kClasses);
    for (const auto& layer : layers) {
      Matrix m(static_cast<Eigen::Index>(rows.size()), kWidth);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        m.row(static_cast<Eigen::Index>(r)) = layer.row(rows[r]);
      }
      s.layers.push_back(std::move(m));
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      s.targets(static_cast<Eigen::Index>(r), label[static_cast<std::size_t>(rows[r])]) = 1;
    }
    return s;
  };
  ProbeOptions options;
  options.max_epochs = epochs;
  options.patience = epochs;
  options.threads = threads;
  const ProbeConfig config{1, 1024, false, 1e-3};
  std::vector<ProbeResult> results(kFolds);
  std::vector<std::function<void()>> jobs;
  std::vector<ProbeSplit> train(kFolds), valid(kFolds), test(kFolds);
  for (int f = 0; f < kFolds; ++f) {
    std::vector<int> rest;
    for (int j = 0; j < kFolds; ++j) {
      if (j != f && j != (f + 1) % kFolds) rest.push_back(j);
    }
    train[static_cast<std::size_t>(f)] = split(rest);
    valid[static_cast<std::size_t>(f)] = split({(f + 1) % kFolds});
    test[static_cast<std::size_t>(f)] = split({f});
  }
  const auto start = std::chrono::steady_clock::now();
  for (int f = 0; f < kFolds; ++f) {
    jobs.push_back([&, f] {
      const auto u = static_cast<std::size_t>(f);
      results[u] = train_probe(train[u], valid[u], test[u], false, "top1_acc", config, options,
                               static_cast<std::uint64_t>(f));
    });
  }
  run_probe_jobs(jobs, threads);
  const double ours =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double accuracy = 0;
  for (const auto& r : results) accuracy += r.test_score / kFolds;
  std::printf("brainalign (libtorch C++, %d threads): %.2f s, mean test accuracy %.4f\n", threads,
              ours, accuracy);
  std::fflush(stdout);
  const std::string cmd = std::string(BRAINALIGN_PYTHON) + " " + BRAINALIGN_BENCH_DIR +
                          "/downstream_probe_reference.py " + dir.string() + " " +
                          std::to_string(epochs) + " " + std::to_string(threads) + " " +
                          std::to_string(ours);
  return std::system(cmd.c_str()) == 0 ? 0 : 1;
}
