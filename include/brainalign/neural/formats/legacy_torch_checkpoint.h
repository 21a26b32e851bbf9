// State dicts saved by torch.save in its legacy format (torch < 1.6, or
// _use_new_zipfile_serialization=False), the format of checkpoints released before 2020 (the
// VGGish weights, some AST files): read without Python by io::read_pickle, alongside the zip
// format of torch_checkpoint.h.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace brainalign::neural {

// The dict keys of a state_dict saved by torch.save in the legacy format (torch < 1.6, or
// _use_new_zipfile_serialization=False); empty for any other file. Never throws.
std::vector<std::string> legacy_state_dict_keys(const std::filesystem::path& path) noexcept;

// The tensors of a state_dict (a dict of tensors) saved by torch.save in the legacy format.
// IoError when the file cannot be read; InputError naming the file for anything else.
std::map<std::string, at::Tensor> read_legacy_state_dict(const std::filesystem::path& path);

// The same for a training checkpoint saved in the legacy format: a dict whose entry `entry`
// is the state_dict (e.g. {'model': state_dict, 'optimizer': ..., 'epoch': ...}, as the
// robustness library saves). Only that state_dict's storages are read. The keys variant is
// empty when the file is not such a checkpoint; it never throws.
std::map<std::string, at::Tensor> read_legacy_state_dict(const std::filesystem::path& path,
                                                         const std::string& entry);
std::vector<std::string> legacy_state_dict_keys(const std::filesystem::path& path,
                                                const std::string& entry) noexcept;

// Whether the file starts as a legacy torch.save file does (its magic number pickle).
bool is_legacy_torch_file(const std::filesystem::path& path) noexcept;

// A state_dict (a dict of tensors) saved by torch.save in either format, the zip archive or the
// legacy one. `model` names what the file should hold in messages ("a VGGish"): InputError
// "<file>: not <model> checkpoint: ..." for a file of neither format (a truncated download),
// "<file>: not <model> state_dict: ..." for another object or an entry that is not a tensor.
std::map<std::string, at::Tensor> read_state_dict_file(const std::filesystem::path& path,
                                                       const std::string& model);

}  // namespace brainalign::neural
