#include "brainalign/threads.h"

#include <dlfcn.h>
#include <omp.h>

#include <mutex>

namespace brainalign {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return omp_get_num_procs();
}

void use_single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] {
    // OpenBLAS (and compatible builds) export this; other BLAS libraries are left alone.
    using SetThreads = void (*)(int);
    if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
      set(1);
  });
}

}  // namespace brainalign
