#include "brainalign/data/stimulus_name.h"

#include <filesystem>

namespace brainalign::data {

std::string stimulus_name(const std::string& file_or_name) {
  std::string name = std::filesystem::path(file_or_name).filename().string();
  for (const char* ext : {".wav", ".flac", ".ogg", ".mp3", ".WAV", ".FLAC"}) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      name.resize(name.size() - e.size());
      break;
    }
  }
  return name;
}

}  // namespace brainalign::data