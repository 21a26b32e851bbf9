// A memory budget shared by the clips that run at once: each takes a lease of the bytes it
// expects to need and waits while the leases in flight would exceed the budget.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace brainalign::features {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t bytes) : total_(bytes) {}

  // Holds `bytes` of the budget until destroyed.
  class Lease {
   public:
    Lease(MemoryBudget& budget, std::size_t bytes);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    MemoryBudget& budget_;
    std::size_t bytes_;
  };

  // The most bytes leased at once so far.
  std::size_t peak() const;

 private:
  // Blocks until `bytes` fit beside the leases in flight; a request larger than the whole
  // budget waits until nothing else is in flight and then runs alone.
  void acquire(std::size_t bytes);
  void release(std::size_t bytes);

  const std::size_t total_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable released_;
};

}  // namespace brainalign::features