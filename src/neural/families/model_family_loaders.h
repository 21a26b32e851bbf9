// The model families one by one: whether a path holds a model of the family, and the
// registry model loaded from it. model_families.cpp registers them.
#pragma once

#include <filesystem>
#include <memory>

#include "brainalign/models/model.h"

namespace brainalign::neural {

// hf: a folder with config.json (a model_type that has a native port) and model.safetensors.
bool recognises_hf_folder(const std::filesystem::path& path);
std::unique_ptr<models::Model> load_hf_model(const std::filesystem::path& folder);

// beats:, dasheng:, encodecmae:: the torch.save checkpoints of the .pt ports (ports/), told
// apart by the keys of the saved dict.
bool recognises_beats_checkpoint(const std::filesystem::path& path);
bool recognises_dasheng_checkpoint(const std::filesystem::path& path);
bool recognises_encodecmae_checkpoint(const std::filesystem::path& path);
std::unique_ptr<models::Model> load_beats_model(const std::filesystem::path& checkpoint);
std::unique_ptr<models::Model> load_dasheng_model(const std::filesystem::path& checkpoint);
std::unique_ptr<models::Model> load_encodecmae_model(const std::filesystem::path& checkpoint);

// torchscript: a zip archive with TorchScript code (torch.jit.save).
bool recognises_torchscript_archive(const std::filesystem::path& path);
std::unique_ptr<models::Model> load_torchscript_model(const std::filesystem::path& archive);

}  // namespace brainalign::neural
