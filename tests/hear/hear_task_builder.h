// Builds small HEAR tasks (hear-preprocess layout) on the fly from synthesized audio.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace brainalign::testing {

// 16-bit PCM mono WAV.
inline void write_wav(const std::filesystem::path& path, const std::vector<double>& x, int rate) {
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  const auto bytes = static_cast<std::uint32_t>(x.size() * 2);
  f.write("RIFF", 4);
  u32(36 + bytes);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(1);
  u32(static_cast<std::uint32_t>(rate));
  u32(static_cast<std::uint32_t>(rate * 2));
  u16(2);
  u16(16);
  f.write("data", 4);
  u32(bytes);
  for (double v : x) {
    const auto s = static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0, 1.0) * 32767));
    f.write(reinterpret_cast<const char*>(&s), 2);
  }
}

struct SynthClip {
  std::vector<double> samples;
  std::vector<std::string> labels;
};

// Writes task_metadata.json, labelvocabulary.csv, <split>.json and <rate>/<split>/*.wav.
// `kfold`: splits fold00..fold{k-1}; else train/valid/test.
inline void write_hear_task(const std::filesystem::path& dir, const std::string& name,
                            const std::vector<std::vector<SynthClip>>& splits, bool kfold,
                            bool multilabel, const std::string& metric, int rate,
                            const std::vector<std::string>& vocabulary) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  std::vector<std::string> names;
  for (std::size_t s = 0; s < splits.size(); ++s) {
    names.push_back(kfold ? "fold0" + std::to_string(s)
                          : std::vector<std::string>{"train", "valid", "test"}[s]);
  }
  nlohmann::json meta = {{"task_name", name},
                         {"version", "v1.0.0"},
                         {"embedding_type", "scene"},
                         {"prediction_type", multilabel ? "multilabel" : "multiclass"},
                         {"split_mode", kfold ? "new_split_kfold" : "trainvaltest"},
                         {"sample_duration", 1.0},
                         {"evaluation", {metric}},
                         {"splits", names}};
  if (kfold) meta["nfolds"] = splits.size();
  std::ofstream(dir / "task_metadata.json") << meta.dump(2);
  std::ofstream vocab(dir / "labelvocabulary.csv");
  vocab << "idx,label\n";
  for (std::size_t i = 0; i < vocabulary.size(); ++i) vocab << i << "," << vocabulary[i] << "\n";
  for (std::size_t s = 0; s < splits.size(); ++s) {
    nlohmann::json labels = nlohmann::json::object();
    fs::create_directories(dir / std::to_string(rate) / names[s]);
    for (std::size_t i = 0; i < splits[s].size(); ++i) {
      const std::string file = names[s] + "_" + std::to_string(i) + ".wav";
      labels[file] = splits[s][i].labels;
      write_wav(dir / std::to_string(rate) / names[s] / file, splits[s][i].samples, rate);
    }
    std::ofstream(dir / (names[s] + ".json")) << labels.dump();
  }
}

// A harmonic tone at `f0` with random harmonic amplitudes (timbre), phase and level.
inline std::vector<double> tone(double f0, int rate, double seconds, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> x(static_cast<std::size_t>(rate * seconds), 0.0);
  const double level = 0.05 + 0.2 * u(rng);
  for (int h = 1; h <= 6; ++h) {
    const double a = u(rng) / h, phase = 6.283 * u(rng);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] += level * a * std::sin(6.283185307 * f0 * h * static_cast<double>(i) / rate + phase);
    }
  }
  return x;
}

// White (0), pink (1) or brown (2) noise: white noise integrated to slope -3 or -6 dB/octave.
inline std::vector<double> coloured_noise(int colour, int rate, double seconds, std::mt19937& rng) {
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  const std::size_t n = static_cast<std::size_t>(rate * seconds);
  std::vector<double> x(n);
  double b[7] = {0, 0, 0, 0, 0, 0, 0}, brown = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = g(rng);
    if (colour == 0) {
      x[i] = w;
    } else if (colour == 1) {  // Paul Kellet's pink filter
      b[0] = 0.99886 * b[0] + w * 0.0555179;
      b[1] = 0.99332 * b[1] + w * 0.0750759;
      b[2] = 0.96900 * b[2] + w * 0.1538520;
      b[3] = 0.86650 * b[3] + w * 0.3104856;
      b[4] = 0.55000 * b[4] + w * 0.5329522;
      b[5] = -0.7616 * b[5] - w * 0.0168980;
      x[i] = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
      b[6] = w * 0.115926;
    } else {
      brown = 0.998 * brown + w;
      x[i] = brown;
    }
  }
  double rms = 0;
  for (double v : x) rms += v * v;
  rms = std::sqrt(rms / static_cast<double>(n));
  const double level = (0.02 + 0.1 * u(rng)) / rms;
  for (double& v : x) v *= level;
  return x;
}

}  // namespace brainalign::testing
