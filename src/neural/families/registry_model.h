// The registry's view of a libtorch model: a brainalign::models::Model around an AudioModel, the
// one interface of every native network. Every model family (hf:, beats:, ...) hands its
// network to make_registry_model, so that threads, memory estimates and the conversion to
// LayerActivations are the same for all of them.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/dsp/audio.h"
#include "brainalign/models/model.h"
#include "brainalign/neural/audio_model.h"

namespace brainalign::neural {

// What the registry knows of a model beyond its network.
struct RegistryModelSpec {
  std::string name;  // "<family>:<file stem or folder name>"
  // How prepare() resamples other rates to the network's.
  dsp::ResampleQuality resample_quality = dsp::ResampleQuality::kVeryHigh;
  std::string weights_id;  // weights_digest() of the files the weights come from
  // The family published_layers() knows the network by (a model_type, "beats", ...); empty:
  // no study used it.
  std::string study_family;
};

// The model. Its forward() runs libtorch with one intra-op thread (it sets libtorch's thread
// count, and OpenBLAS's through configure_compute_runtime(), to 1 when made): extraction runs
// clips in parallel instead, so the threads do not multiply and the numbers do not depend on
// how many run. forward_memory_bytes() is
// measured on the first request by running two short probe clips (1 s and 2 s) and
// extrapolating each layer's size, plus attention and feed-forward work space.
std::unique_ptr<models::Model> make_registry_model(std::shared_ptr<const AudioModel> network,
                                                   RegistryModelSpec spec);

// The name a model of family `prefix` stored at `path` goes by: "<prefix>:<stem>" for a file,
// "<prefix>:<folder name>" for a folder.
std::string registry_model_name(const std::string& prefix, const std::filesystem::path& path);

// A SHA-256 over the names and contents of `files` (absent ones are skipped): two models
// share a weights_id only when their files are the same bytes.
std::string weights_digest(const std::vector<std::filesystem::path>& files);

}  // namespace brainalign::neural
