#include "brainalign/base/threads.h"

#include <dlfcn.h>
#include <malloc.h>
#include <omp.h>

#include <mutex>

namespace brainalign {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return omp_get_num_procs();
}

void configure_compute_runtime() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    // OpenBLAS (and compatible builds) export this; other BLAS libraries are left alone.
    using SetThreads = void (*)(int);
    if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
      set(1);
  });
}

}  // namespace brainalign
