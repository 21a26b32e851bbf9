// The fuzz targets of the readers that need libtorch (safetensors, torch.save checkpoints, the
// model folders' config.json), shared by the libFuzzer targets and the corpus replay test as
// in entry_points.h. Built only where libtorch is found.
#pragma once

#include <vector>

#include "entry_points.h"

namespace brainalign::fuzz {

// SafetensorsFile on the input: every entry, every tensor raw and as float32, all at once.
void safetensors_entry(Input input);
// parse_torch_checkpoint and read_torch_checkpoint on the input; every value of the result
// walked (bounded: pickles can refer to themselves) and the root read as a state_dict.
void torch_checkpoint_entry(Input input);
// ModelConfig::read on the input as config.json, then every typed getter on every key. (The
// model families' readers of the config live with their models and are not fuzzed here.)
void model_config_entry(Input input);

const std::vector<Target>& torch_targets();

}  // namespace brainalign::fuzz
