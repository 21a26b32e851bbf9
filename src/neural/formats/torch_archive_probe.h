// A cheap look into a file written by torch.save or torch.jit.save (a zip archive): which
// records it has and the pickle of the saved object, without reading any tensor data. The
// model families use it to recognise their files for auto:PATH.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace brainalign::neural {

struct TorchArchiveProbe {
  bool is_zip = false;
  // TorchScript: the archive has <root>/code/ or <root>/constants.pkl.
  bool is_torchscript = false;
  // <root>/data.pkl, empty when absent or larger than the probe reads (64 MiB).
  std::string data_pkl;
};

// Never throws: a file that is missing or not a zip archive gives is_zip == false.
TorchArchiveProbe probe_torch_archive(const std::filesystem::path& file) noexcept;

// Whether a pickle holds the string `text` as a whole string value (a dict key, a state_dict
// name), in any of the encodings pickle protocols 2 to 5 use for it.
bool pickle_has_string(std::string_view pickle, std::string_view text);

}  // namespace brainalign::neural
