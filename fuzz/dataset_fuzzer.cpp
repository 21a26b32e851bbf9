// libFuzzer target for brain datasets: load_dataset on the components, generic and 2023 layouts.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::dataset_entry({data, size});
  return 0;
}
