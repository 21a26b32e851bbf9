// A cheap look into a file written by torch.save or torch.jit.save (a zip archive): which
// records it has and the dict keys of the saved object, without reading any tensor data. The
// model families use it to recognise their files for auto:PATH.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_set>

namespace brainalign::neural {

struct TorchArchiveProbe {
  bool is_zip = false;
  // TorchScript: the archive has <root>/code/ or <root>/constants.pkl.
  bool is_torchscript = false;
  // Every string key of every dict in <root>/data.pkl (state_dict names included), read by
  // io::read_pickle with every global and call left opaque; empty when the record is absent,
  // larger than the probe reads (64 MiB) or not a pickle.
  std::unordered_set<std::string> keys;
};

// Never throws: a file that is missing or not a zip archive gives is_zip == false.
TorchArchiveProbe probe_torch_archive(const std::filesystem::path& file) noexcept;

}  // namespace brainalign::neural
