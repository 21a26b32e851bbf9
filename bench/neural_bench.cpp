// Throughput of the native wav2vec2-base forward pass (12 layers, 768 wide, random weights) on
// a waveform. Writes the model folder when asked, times `--repeats` forward passes after one
// warm-up, saves the last hidden state for comparison and prints one JSON line. Driven by
// bench/neural_bench.py, which runs the same computation in PyTorch eager.
// Usage: neural_bench --folder DIR [--write-model] [--seconds 10] [--threads 2] [--repeats 3]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brainalign/io/npy.h"
#include "brainalign/neural/families/hf/wav2vec2.h"
#include "brainalign/neural/formats/safetensors.h"

namespace {

namespace fs = std::filesystem;
using brainalign::neural::Wav2Vec2Model;

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// facebook/wav2vec2-base's architecture.
nlohmann::json base_config() {
  return {{"model_type", "wav2vec2"},
          {"conv_dim", std::vector<int>(7, 512)},
          {"conv_kernel", {10, 3, 3, 3, 3, 2, 2}},
          {"conv_stride", {5, 2, 2, 2, 2, 2, 2}},
          {"conv_bias", false},
          {"feat_extract_norm", "group"},
          {"feat_extract_activation", "gelu"},
          {"hidden_size", 768},
          {"num_hidden_layers", 12},
          {"num_attention_heads", 12},
          {"intermediate_size", 3072},
          {"hidden_act", "gelu"},
          {"layer_norm_eps", 1e-5},
          {"do_stable_layer_norm", false},
          {"num_conv_pos_embeddings", 128},
          {"num_conv_pos_embedding_groups", 16}};
}

// Random weights under the names transformers saves, N(0, 0.02^2) for matrices, LayerNorm
// weights near one.
void write_model(const fs::path& folder) {
  fs::create_directories(folder);
  std::ofstream(folder / "config.json") << base_config().dump(2);
  at::manual_seed(0);
  std::map<std::string, at::Tensor> w;
  auto normal = [](std::vector<std::int64_t> shape, double std) { return at::randn(shape) * std; };
  auto norm = [&](const std::string& prefix, std::int64_t dim) {
    w[prefix + ".weight"] = 1.0 + normal({dim}, 0.1);
    w[prefix + ".bias"] = normal({dim}, 0.1);
  };
  auto linear = [&](const std::string& prefix, std::int64_t in, std::int64_t out) {
    w[prefix + ".weight"] = normal({out, in}, 0.02);
    w[prefix + ".bias"] = normal({out}, 0.02);
  };
  const std::vector<std::int64_t> kernels = {10, 3, 3, 3, 3, 2, 2};
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const std::string prefix = "feature_extractor.conv_layers." + std::to_string(i);
    const std::int64_t in = i == 0 ? 1 : 512;
    w[prefix + ".conv.weight"] = normal({512, in, kernels[i]}, 1.0 / std::sqrt(in * kernels[i]));
    if (i == 0) norm(prefix + ".layer_norm", 512);
  }
  norm("feature_projection.layer_norm", 512);
  linear("feature_projection.projection", 512, 768);
  w["encoder.pos_conv_embed.conv.parametrizations.weight.original0"] =
      1.0 + normal({1, 1, 128}, 0.1);
  w["encoder.pos_conv_embed.conv.parametrizations.weight.original1"] = normal({768, 48, 128}, 0.02);
  w["encoder.pos_conv_embed.conv.bias"] = normal({768}, 0.02);
  norm("encoder.layer_norm", 768);
  for (int l = 0; l < 12; ++l) {
    const std::string prefix = "encoder.layers." + std::to_string(l);
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      linear(prefix + ".attention." + proj, 768, 768);
    }
    norm(prefix + ".layer_norm", 768);
    linear(prefix + ".feed_forward.intermediate_dense", 768, 3072);
    linear(prefix + ".feed_forward.output_dense", 3072, 768);
    norm(prefix + ".final_layer_norm", 768);
  }
  brainalign::neural::write_safetensors(folder / "model.safetensors", w, {{"format", "pt"}});
}

}  // namespace

int main(int argc, char** argv) {
  fs::path folder;
  bool write = false;
  double seconds = 10.0;
  int threads = 2;
  int repeats = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "neural_bench: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--folder") {
      folder = next();
    } else if (arg == "--write-model") {
      write = true;
    } else if (arg == "--seconds") {
      seconds = std::stod(next());
    } else if (arg == "--threads") {
      threads = std::stoi(next());
    } else if (arg == "--repeats") {
      repeats = std::stoi(next());
    } else {
      std::cerr << "neural_bench: unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (folder.empty()) {
    std::cerr << "usage: neural_bench --folder DIR [--write-model] [--seconds S] [--threads N] "
                 "[--repeats R]\n";
    return 2;
  }
  at::set_num_threads(threads);
  if (write) write_model(folder);

  const Wav2Vec2Model model = Wav2Vec2Model::load(folder);
  const double rss_loaded = peak_rss_mib();
  at::manual_seed(1);
  const at::Tensor waveform = at::randn({1, static_cast<std::int64_t>(seconds * 16000)}) * 0.1;
  model.forward(waveform);  // warm-up
  std::vector<double> times;
  at::Tensor last;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<at::Tensor> states = model.forward(waveform);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    last = states.back();
  }
  const at::Tensor values = last.contiguous();
  brainalign::io::write_npy(
      folder / "native_last_hidden_state.npy", values.data_ptr<float>(),
      {static_cast<std::size_t>(values.size(0)), static_cast<std::size_t>(values.size(1)),
       static_cast<std::size_t>(values.size(2))});
  std::cout << nlohmann::json{{"times_s", times},
                              {"peak_rss_mib", peak_rss_mib()},
                              {"rss_after_load_mib", rss_loaded},
                              {"threads", threads},
                              {"seconds", seconds}}
                   .dump()
            << std::endl;
  return 0;
}
