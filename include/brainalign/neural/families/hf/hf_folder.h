// Hugging Face model folders (config.json + model.safetensors): the model types the ports cover,
// and the port a folder's config.json describes, as an AudioModel.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/blocks.h"

namespace brainalign::neural {

// The config.json model_type values load_audio_model builds.
const std::vector<std::string>& supported_model_types();

// Builds the model a folder's config.json describes ("model_type": wav2vec2, hubert, wavlm,
// data2vec-audio, whisper, audio-spectrogram-transformer, speech_to_text, encodec). Throws
// InputError for an unsupported model type or a checkpoint that does not match its config.
std::unique_ptr<AudioModel> load_audio_model(const std::filesystem::path& folder,
                                             const LoadOptions& options = {});

}  // namespace brainalign::neural
