#include "memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "brainalign/features/extract.h"

namespace brainalign::features {

MemoryBudget::Lease::Lease(MemoryBudget& budget, std::size_t bytes)
    : budget_(budget), bytes_(bytes) {
  budget_.acquire(bytes_);
}

MemoryBudget::Lease::~Lease() { budget_.release(bytes_); }

std::size_t MemoryBudget::peak() const {
  const std::lock_guard lock(mutex_);
  return peak_;
}

void MemoryBudget::acquire(std::size_t bytes) {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [&] { return in_use_ == 0 || bytes <= total_ - std::min(total_, in_use_); });
  in_use_ += bytes;
  peak_ = std::max(peak_, in_use_);
}

void MemoryBudget::release(std::size_t bytes) {
  {
    const std::lock_guard lock(mutex_);
    in_use_ -= bytes;
  }
  released_.notify_all();
}

std::size_t default_memory_budget() {
  // MemAvailable (kB) counts reclaimable caches, unlike sysconf's free pages.
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::size_t kilobytes = 0;
  while (meminfo >> key >> kilobytes) {
    if (key == "MemAvailable:") return kilobytes * 1024 / 2;
    meminfo.ignore(64, '\n');
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return static_cast<std::size_t>(pages) * page / 2;
  return std::size_t{4} << 30;
}

}  // namespace brainalign::features