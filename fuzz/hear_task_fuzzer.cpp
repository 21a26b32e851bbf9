// libFuzzer target for HEAR tasks: read_hear_task on metadata, vocabulary and split files.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::hear_task_entry({data, size});
  return 0;
}
