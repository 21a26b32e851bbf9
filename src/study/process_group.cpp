#include "brainalign/study/process_group.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#ifdef BRAINALIGN_WITH_MPI
// The C API only: OpenMPI's deprecated C++ bindings do not build warning-free.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace brainalign::study {
namespace {

#ifdef BRAINALIGN_WITH_MPI
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}
#endif

}  // namespace

ProcessGroup::ProcessGroup() {
#ifdef BRAINALIGN_WITH_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized == 0 && launched_by_mpi()) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    started_ = true;
    initialized = 1;
  }
  if (initialized != 0) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
#endif
}

ProcessGroup::~ProcessGroup() {
#ifdef BRAINALIGN_WITH_MPI
  if (started_) MPI_Finalize();
#endif
}

void ProcessGroup::barrier() const {
#ifdef BRAINALIGN_WITH_MPI
  if (size_ == 1) return;
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  int done = 0;
  while (true) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
#endif
}

void ProcessGroup::abort(int code) const {
#ifdef BRAINALIGN_WITH_MPI
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

bool ProcessGroup::built_with_mpi() {
#ifdef BRAINALIGN_WITH_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace brainalign::study