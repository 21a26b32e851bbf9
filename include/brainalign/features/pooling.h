// Pooling a layer's activations over time into what a feature set stores per stimulus.
#pragma once

#include <string>

#include "brainalign/base/matrix.h"
#include "brainalign/models/model.h"

namespace brainalign::features {

enum class Pooling {
  kMean,  // the mean over frames: one vector per stimulus (features in row-major order)
  kNone,  // every frame kept: frames x features per stimulus
};

// "mean" or "none"; InputError otherwise.
Pooling parse_pooling(const std::string& name);
std::string to_string(Pooling pooling);

// 1 x features for kMean, frames x features for kNone.
Matrix pool(const models::LayerActivations& activations, Pooling pooling);

}  // namespace brainalign::features