// The processes a study runs on: one, or the ranks of an MPI job (`mpirun -np N`). Built
// with MPI (BRAINALIGN_WITH_MPI), MPI is started only when an MPI launcher started us.
#pragma once

namespace brainalign::study {

class ProcessGroup {
 public:
  // Starts MPI when launched by mpirun (and built with MPI); else a group of one.
  ProcessGroup();
  // Finalizes MPI if this object started it.
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Waits for every rank, sleeping rather than spinning, so a waiting rank leaves the cores
  // to the ones still working.
  void barrier() const;
  // Ends every rank of the job (after an error on one of them).
  [[noreturn]] void abort(int code) const;

  // Whether this build can run under mpirun.
  static bool built_with_mpi();

 private:
  int rank_ = 0;
  int size_ = 1;
  bool started_ = false;
};

}  // namespace brainalign::study