#include "brainalign/features/pooling.h"

#include "brainalign/base/error.h"

namespace brainalign::features {

Pooling parse_pooling(const std::string& name) {
  if (name == "mean") return Pooling::kMean;
  if (name == "none") return Pooling::kNone;
  throw ArgumentError("pool", "expected 'mean' or 'none', got '" + name + "'");
}

std::string to_string(Pooling pooling) { return pooling == Pooling::kMean ? "mean" : "none"; }

Matrix pool(const models::LayerActivations& activations, Pooling pooling) {
  if (activations.values.rows() == 0) {
    throw InputError("layer '" + activations.layer + "': no frames to pool");
  }
  if (pooling == Pooling::kNone) return activations.values;
  return activations.values.colwise().mean();
}

}  // namespace brainalign::features