#include "brainalign/hear/probe.h"

#include <cmath>
#include <mutex>
#include <optional>
#include <sstream>

#include "brainalign/base/error.h"
#include "brainalign/base/plugins.h"

namespace brainalign::hear {
namespace {

std::mutex& trainer_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::optional<ProbeTrainer>& registered_trainer() {
  static std::optional<ProbeTrainer> trainer;
  return trainer;
}

// The registered trainer, opening the neural plugin when none is registered yet; nullopt when
// this build has none.
std::optional<ProbeTrainer> find_trainer() {
  {
    std::lock_guard<std::mutex> lock(trainer_mutex());
    if (registered_trainer()) return registered_trainer();
  }
  load_plugin("neural");
  std::lock_guard<std::mutex> lock(trainer_mutex());
  return registered_trainer();
}

ProbeTrainer trainer() {
  require_probe_trainer();
  return *find_trainer();
}

}  // namespace

double round_to_float16(double x) {
  if (!std::isfinite(x) || x == 0) return x;
  int exponent = 0;
  std::frexp(x, &exponent);  // |x| in [2^(exponent - 1), 2^exponent)
  // The spacing of float16 values around x: 2^(e - 10) in the binade [2^e, 2^(e + 1)), and
  // 2^-24 for the subnormals below 2^-14. Scaling by a power of two is exact.
  const double quantum = std::ldexp(1.0, std::max(exponent - 1, -14) - 10);
  const double rounded = std::nearbyint(x / quantum) * quantum;  // ties to even
  if (std::abs(rounded) > kFloat16Max) return std::copysign(HUGE_VAL, x);
  return rounded;
}

Protocol parse_protocol(const std::string& name) {
  if (name == "pepino2025") return Protocol::kPepino2025;
  if (name == "hear2021") return Protocol::kHear2021;
  throw ArgumentError(
      "protocol", "'" + name + "' is not a downstream protocol (expected pepino2025 or hear2021)");
}

std::string protocol_name(Protocol protocol) {
  return protocol == Protocol::kPepino2025 ? "pepino2025" : "hear2021";
}

std::string ProbeConfig::name() const {
  std::ostringstream s;
  s << "hidden=[";
  for (int h = 0; h < hidden_layers; ++h) s << (h ? "," : "") << hidden_units;
  s << "] init=" << (xavier_normal ? "xavier_normal" : "xavier_uniform") << " lr=" << learning_rate;
  return s.str();
}

std::vector<ProbeConfig> probe_grid(Protocol protocol) {
  std::vector<ProbeConfig> grid;
  for (int layers : {1, 2}) {
    for (bool normal : {false, true}) {
      if (normal && protocol == Protocol::kHear2021) continue;
      for (double lr : {3.2e-3, 1e-3, 3.2e-4, 1e-4}) grid.push_back({layers, 1024, normal, lr});
    }
  }
  return grid;
}

ProbeOptions ProbeOptions::for_protocol(Protocol protocol) {
  ProbeOptions options;
  if (protocol == Protocol::kHear2021) {
    options.max_epochs = 500;
    options.validate_every = 3;
    options.float16_inputs = false;
    options.score_logits = false;
  }
  return options;
}

void register_probe_trainer(ProbeTrainer trainer) {
  std::lock_guard<std::mutex> lock(trainer_mutex());
  if (trainer.train && trainer.run_jobs) {
    registered_trainer() = std::move(trainer);
  } else {
    registered_trainer().reset();
  }
}

bool has_probe_trainer() { return find_trainer().has_value(); }

void require_probe_trainer() {
  if (!has_probe_trainer()) {
    throw InputError(
        "downstream probes need libtorch, and this build of brainalign has none (it was built "
        "without libtorch, or its plugin libbrainalign_neural.so is missing)");
  }
}

ProbeResult train_probe(const ProbeSplit& train, const ProbeSplit& valid, const ProbeSplit& test,
                        bool multilabel, const std::string& metric, const ProbeConfig& config,
                        const ProbeOptions& options, std::uint64_t stream) {
  return trainer().train(train, valid, test, multilabel, metric, config, options, stream);
}

void run_probe_jobs(const std::vector<std::function<void()>>& jobs, int threads) {
  trainer().run_jobs(jobs, threads);
}

}  // namespace brainalign::hear
