// A probe on frozen embeddings: a learned weighted sum of layers feeding a small MLP, trained
// under the protocols of Pepino et al. (2025, "pepino2025") and the HEAR 2021 evaluation kit
// ("hear2021"). The protocols live here; the training itself is libtorch's, in the neural
// module, which registers it as the ProbeTrainer (the neural plugin does so when it is opened).
//
// Determinism: every probe trains on one thread with its own generator (initialisation,
// dropout masks, batch order), seeded from --seed, the fold and the configuration; the
// thread count only sets how many probes train at once, so results do not depend on it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::hear {

enum class Protocol { kPepino2025, kHear2021 };
Protocol parse_protocol(const std::string& name);  // InputError for an unknown name
std::string protocol_name(Protocol protocol);

struct ProbeConfig {
  int hidden_layers = 1;  // 1 or 2 hidden layers of 1024 units
  int hidden_units = 1024;
  bool xavier_normal = false;  // else Xavier uniform
  double learning_rate = 1e-3;
  std::string name() const;  // e.g. "hidden=[1024,1024] init=xavier_uniform lr=0.001"
};

// pepino2025: the 16 points {1, 2 hidden layers} x {Xavier uniform, normal} x lr {3.2e-3,
// 1e-3, 3.2e-4, 1e-4}. hear2021: the 8 points with Xavier uniform initialisation (both depths,
// the four rates): the kit samples 8 of its 16 points; this fixes which.
std::vector<ProbeConfig> probe_grid(Protocol protocol);

struct ProbeOptions {
  int max_epochs = 200;
  int validate_every = 1;  // epochs between validation checks
  int patience = 20;       // validation checks without improvement before stopping
  int batch_size = 1024;
  double dropout = 0.1;
  std::uint64_t seed = 0;
  int threads = 0;  // probes trained at once (0: every core); results do not depend on it
  // pepino2025: the probe's inputs are rounded to float16 (IEEE half, round to nearest even,
  // as numpy's astype(np.float16)) before the float32 arithmetic, as the 2025 code's dataset
  // hands them over; false keeps them in float32. hear2021: float32, as the HEAR kit's
  // embedding files.
  bool float16_inputs = true;
  // pepino2025: the metrics score the probe's raw logits, as the 2025 code; false scores
  // softmax (multiclass) or sigmoid (multilabel) probabilities, as the HEAR kit (hear2021).
  bool score_logits = true;
  // Test-only: at most this many epochs (0: the protocol's max_epochs).
  int epoch_cap = 0;
  // The layers the probe combines, by name (models::choose_layers); empty: the protocol's rule
  // (evaluate_task).
  std::vector<std::string> layers;
  std::function<void(const std::string& stage, int done, int total)> progress;

  // pepino2025: 200 epochs, validation every epoch, patience 20, float16 inputs, metrics on
  // logits. hear2021: 500 epochs, validation every 3 epochs, patience 20 checks, float32
  // inputs, metrics on probabilities. Both: batch 1024, dropout 0.1.
  static ProbeOptions for_protocol(Protocol protocol);
};

// Inputs of one split: the layers (clips x width, one width for all layers) and the targets
// (clips x classes, one-hot or multi-hot).
struct ProbeSplit {
  std::vector<Matrix> layers;
  Matrix targets;
};

struct ProbeResult {
  double valid_score = 0;  // best validation score (the restored checkpoint)
  double test_score = 0;
  std::vector<double> layer_weights;  // |w| / sum |w| of the restored checkpoint
  int epochs = 0;                     // epochs trained
  int best_epoch = 0;                 // epoch of the restored checkpoint (1-based)
  // What the metric scored on the test split (clips x classes): the restored checkpoint's
  // logits, or their probabilities (ProbeOptions::score_logits).
  Matrix test_predictions;
};

// `x` rounded to the nearest IEEE half-precision value (ties to even; +-inf beyond 65504 +
// 16), as numpy's float64 -> float16 cast, returned as a double. NaN stays NaN.
double round_to_float16(double x);
// The largest finite float16 value.
inline constexpr double kFloat16Max = 65504.0;

// Trains one probe with `config`, stops early on `metric` (a metrics.h name) of `valid`,
// restores the best checkpoint and scores `test`. `stream` distinguishes the generators of
// probes trained from the same seed (fold, configuration). With options.float16_inputs, an
// input that float16 cannot hold (|x| >= 65520, which the cast turns into infinity) is an
// ArgumentError naming the split ("train", "valid" or "test") and the layer.
// Runs on the registered ProbeTrainer, opening the neural plugin first when none is; an
// InputError when this build has no trainer (it was built without libtorch).
ProbeResult train_probe(const ProbeSplit& train, const ProbeSplit& valid, const ProbeSplit& test,
                        bool multilabel, const std::string& metric, const ProbeConfig& config,
                        const ProbeOptions& options, std::uint64_t stream);

// Runs `jobs` (independent probe trainings) on `threads` threads (0: every core), each with one
// thread of the trainer's arithmetic; returns when all are done (rethrowing the first failure).
void run_probe_jobs(const std::vector<std::function<void()>>& jobs, int threads);

// What trains probes: train_probe() and run_probe_jobs() as above.
struct ProbeTrainer {
  std::function<ProbeResult(const ProbeSplit& train, const ProbeSplit& valid,
                            const ProbeSplit& test, bool multilabel, const std::string& metric,
                            const ProbeConfig& config, const ProbeOptions& options,
                            std::uint64_t stream)>
      train;
  std::function<void(const std::vector<std::function<void()>>& jobs, int threads)> run_jobs;
};

// Makes `trainer` the one train_probe() and run_probe_jobs() use, replacing any before; one
// without both functions removes the registered one.
void register_probe_trainer(ProbeTrainer trainer);

// Whether probes can be trained: a trainer is registered, or opening the neural plugin
// registers one.
bool has_probe_trainer();
// An InputError saying so when !has_probe_trainer().
void require_probe_trainer();

}  // namespace brainalign::hear
