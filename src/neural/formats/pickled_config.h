// What the ports of torch.save checkpoints (BEATs, Dasheng, EnCodecMAE) read beside their
// tensors: typed entries of the pickled configuration, and waveforms as float tensors.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "brainalign/neural/formats/torch_checkpoint.h"

namespace brainalign::neural {

// Float32 tensor of a double waveform or matrix (copies).
at::Tensor to_float_tensor(const double* data, std::vector<std::int64_t> shape);

// An integer, float or bool config entry, with a default when the key is absent; a present
// entry of the wrong type is an InputError naming the key.
std::int64_t config_int(const PickleValue& config, const char* key, std::int64_t fallback);
double config_double(const PickleValue& config, const char* key, double fallback);
bool config_bool(const PickleValue& config, const char* key, bool fallback);

}  // namespace brainalign::neural
