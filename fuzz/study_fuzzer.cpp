// libFuzzer target for study files: load_study on TOML (toml++), checks and checkpoint globs.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::study_entry({data, size});
  return 0;
}
