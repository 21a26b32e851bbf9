// Probe training with libtorch: the ProbeTrainer of hear/probe.h.
#include "brainalign/neural/probes/probe_training.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

#include "brainalign/base/error.h"
#include "brainalign/base/threads.h"
#include "brainalign/hear/metrics.h"
#include "brainalign/hear/probe.h"

namespace brainalign::neural {
namespace {

using hear::kFloat16Max;
using hear::ProbeConfig;
using hear::ProbeOptions;
using hear::ProbeResult;
using hear::ProbeSplit;
using hear::round_to_float16;

torch::Tensor to_tensor(const Matrix& m) {
  auto t = torch::empty({m.rows(), m.cols()}, torch::kFloat32);
  float* out = t.data_ptr<float>();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) *out++ = static_cast<float>(m(i, j));
  }
  return t;
}

// clips x layers x width; with `float16`, every value rounded to float16 first (held exactly
// in float32), as the 2025 code's dataset casts its inputs. `split` names the argument in the
// error for a value float16 cannot hold.
torch::Tensor stack_layers(const std::vector<Matrix>& layers, bool float16, const char* split) {
  std::vector<torch::Tensor> parts;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Matrix& layer = layers[l];
    if (!float16) {
      parts.push_back(to_tensor(layer));
      continue;
    }
    auto t = torch::empty({layer.rows(), layer.cols()}, torch::kFloat32);
    float* out = t.data_ptr<float>();
    for (Eigen::Index i = 0; i < layer.rows(); ++i) {
      for (Eigen::Index j = 0; j < layer.cols(); ++j) {
        const double rounded = round_to_float16(layer(i, j));
        if (std::isinf(rounded) && std::isfinite(layer(i, j))) {
          std::ostringstream detail;
          detail << "layer " << l << " holds " << layer(i, j) << " (clip " << i << ", feature " << j
                 << "), beyond float16's range (" << kFloat16Max
                 << "), to which the probe's inputs are cast; keep them in float32 "
                    "(ProbeOptions::float16_inputs = false, --probe-float32)";
          throw ArgumentError(split, detail.str());
        }
        *out++ = static_cast<float>(rounded);
      }
    }
    parts.push_back(t);
  }
  return torch::stack(parts, 1).contiguous();
}

Matrix to_matrix(const torch::Tensor& t) {
  const auto c = t.contiguous();
  Matrix m(c.size(0), c.size(1));
  const float* in = c.data_ptr<float>();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = *in++;
  }
  return m;
}

// splitmix64: independent seeds for (seed, stream).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Linear {
  torch::Tensor weight, bias;
};
struct Norm {
  torch::Tensor weight, bias, running_mean, running_var;
};

class Probe {
 public:
  Probe(int64_t layers, int64_t width, int64_t classes, const ProbeConfig& config, double dropout,
        at::Generator& generator)
      : dropout_(dropout), generator_(generator) {
    torch::NoGradGuard no_grad;
    layer_weights_ = torch::ones({layers}).set_requires_grad(true);
    int64_t in = width;
    for (int h = 0; h < config.hidden_layers; ++h) {
      hidden_.push_back(make_linear(in, config.hidden_units, 1.0, config.xavier_normal));
      norms_.push_back({torch::ones({config.hidden_units}).set_requires_grad(true),
                        torch::zeros({config.hidden_units}).set_requires_grad(true),
                        torch::zeros({config.hidden_units}), torch::ones({config.hidden_units})});
      in = config.hidden_units;
    }
    // Output weights with the gain for 'relu', as the HEAR kit and the 2025 study.
    output_ = make_linear(in, classes, std::sqrt(2.0), config.xavier_normal);
  }

  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> p = {layer_weights_};
    for (std::size_t h = 0; h < hidden_.size(); ++h) {
      p.insert(p.end(), {hidden_[h].weight, hidden_[h].bias, norms_[h].weight, norms_[h].bias});
    }
    p.insert(p.end(), {output_.weight, output_.bias});
    return p;
  }
  // Everything a checkpoint holds: parameters and the batch-norm running statistics.
  std::vector<torch::Tensor> state() const {
    auto s = parameters();
    for (const auto& n : norms_) s.insert(s.end(), {n.running_mean, n.running_var});
    return s;
  }

  torch::Tensor forward(const torch::Tensor& x, bool training) {
    const auto a = layer_weights_.abs();
    torch::Tensor h = torch::einsum("nld,l->nd", {x, a / a.sum()});
    for (std::size_t i = 0; i < hidden_.size(); ++i) {
      h = torch::addmm(hidden_[i].bias, h, hidden_[i].weight.t());
      h = torch::batch_norm(h, norms_[i].weight, norms_[i].bias, norms_[i].running_mean,
                            norms_[i].running_var, training, 0.1, 1e-5, false);
      if (training && dropout_ > 0) {
        const auto keep = torch::empty_like(h).bernoulli_(1 - dropout_, generator_);
        h = h * keep / (1 - dropout_);
      }
      h = torch::relu(h);
    }
    return torch::addmm(output_.bias, h, output_.weight.t());
  }

  std::vector<double> layer_weights() const {
    torch::NoGradGuard no_grad;
    const auto a = layer_weights_.abs();
    const auto w = (a / a.sum()).contiguous();
    return std::vector<double>(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }

 private:
  Linear make_linear(int64_t in, int64_t out, double gain, bool normal) {
    Linear l{torch::empty({out, in}), torch::empty({out})};
    const double fan_sum = static_cast<double>(in + out);
    if (normal) {
      l.weight.normal_(0, gain * std::sqrt(2.0 / fan_sum), generator_);
    } else {
      const double bound = gain * std::sqrt(6.0 / fan_sum);
      l.weight.uniform_(-bound, bound, generator_);
    }
    // PyTorch's default bias initialisation, which both protocols leave in place.
    const double bias_bound = 1.0 / std::sqrt(static_cast<double>(in));
    l.bias.uniform_(-bias_bound, bias_bound, generator_);
    l.weight.set_requires_grad(true);
    l.bias.set_requires_grad(true);
    return l;
  }

  double dropout_;
  at::Generator& generator_;
  torch::Tensor layer_weights_;
  std::vector<Linear> hidden_;
  std::vector<Norm> norms_;
  Linear output_;
};

// What the metric scores: the raw logits (the 2025 code) or their probabilities (the HEAR
// kit), float32 values held exactly as doubles.
Matrix predictions(Probe& probe, const torch::Tensor& x, bool multilabel, bool logits) {
  torch::NoGradGuard no_grad;
  auto out = probe.forward(x, false);
  if (!logits) out = multilabel ? torch::sigmoid(out) : torch::softmax(out, 1);
  return to_matrix(out);
}

ProbeResult train_with_torch(const ProbeSplit& train, const ProbeSplit& valid,
                             const ProbeSplit& test, bool multilabel, const std::string& metric,
                             const ProbeConfig& config, const ProbeOptions& options,
                             std::uint64_t stream) {
  if (train.layers.empty() || train.targets.rows() == 0) {
    throw InputError("probe: the train split is empty");
  }
  auto generator = at::make_generator<at::CPUGeneratorImpl>(mix(mix(options.seed) ^ stream));
  const torch::Tensor x_train = stack_layers(train.layers, options.float16_inputs, "train");
  const torch::Tensor x_valid = stack_layers(valid.layers, options.float16_inputs, "valid");
  const torch::Tensor x_test = stack_layers(test.layers, options.float16_inputs, "test");
  const torch::Tensor y_train =
      multilabel ? to_tensor(train.targets) : to_tensor(train.targets).argmax(1);
  Probe probe(x_train.size(1), x_train.size(2), train.targets.cols(), config, options.dropout,
              generator);
  torch::optim::Adam optimizer(probe.parameters(), torch::optim::AdamOptions(config.learning_rate));
  const int64_t n = x_train.size(0);
  const int max_epochs =
      options.epoch_cap > 0 ? std::min(options.epoch_cap, options.max_epochs) : options.max_epochs;
  double best = -std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state;
  int checks_since_best = 0;
  ProbeResult result;
  for (int epoch = 1; epoch <= max_epochs; ++epoch) {
    const auto order = torch::randperm(n, generator, torch::kLong);
    for (int64_t start = 0; start < n; start += options.batch_size) {
      const auto index = order.slice(0, start, std::min(n, start + options.batch_size));
      // A batch of one cannot be batch-normalised in training mode (as PyTorch refuses).
      if (index.size(0) < 2) continue;
      const auto logits = probe.forward(x_train.index_select(0, index), true);
      const auto y = y_train.index_select(0, index);
      const auto loss = multilabel ? torch::binary_cross_entropy_with_logits(logits, y)
                                   : torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    result.epochs = epoch;
    if (epoch % options.validate_every != 0 && epoch != max_epochs) continue;
    const double score = hear::score_metric(
        metric, predictions(probe, x_valid, multilabel, options.score_logits), valid.targets);
    if (score > best || best_state.empty()) {
      best = score;
      result.best_epoch = epoch;
      checks_since_best = 0;
      torch::NoGradGuard no_grad;
      best_state.clear();
      for (const auto& t : probe.state()) best_state.push_back(t.detach().clone());
    } else if (++checks_since_best >= options.patience) {
      break;
    }
  }
  {
    torch::NoGradGuard no_grad;
    auto state = probe.state();
    for (std::size_t i = 0; i < state.size(); ++i) state[i].copy_(best_state[i]);
  }
  result.valid_score = best;
  result.test_predictions = predictions(probe, x_test, multilabel, options.score_logits);
  result.test_score = hear::score_metric(metric, result.test_predictions, test.targets);
  result.layer_weights = probe.layer_weights();
  return result;
}

void run_jobs_with_torch(const std::vector<std::function<void()>>& jobs, int threads) {
  // One torch thread per probe: each probe's arithmetic is then independent of the count.
  configure_compute_runtime();
  at::set_num_threads(1);
  at::globalContext().setDeterministicAlgorithms(true, false);
  const int workers =
      std::max(1, std::min(resolve_threads(threads), static_cast<int>(jobs.size())));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    at::set_num_threads(1);  // per thread under OpenMP
    for (std::size_t j = next++; j < jobs.size(); j = next++) {
      try {
        jobs[j]();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = jobs.size();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

void register_probe_trainer() {
  hear::register_probe_trainer({train_with_torch, run_jobs_with_torch});
}

}  // namespace brainalign::neural
