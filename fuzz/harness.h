// What every fuzz entry point needs around the code under test: a private scratch folder for
// the path-based readers, a way to write an input there, and the rule that a reader's
// documented rejection (InputError, IoError) ends an input quietly.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "brainalign/base/error.h"

namespace brainalign::fuzz::harness {

// A private folder for the files that path-based readers need, removed at exit. libFuzzer
// ends an interrupted or crashing run with _Exit, which skips the destructor; the folders of
// such runs carry their process ID and are removed by the next run once that process is gone.
class Scratch {
 public:
  Scratch() {
    const std::filesystem::path temp = std::filesystem::temp_directory_path();
    remove_abandoned(temp);
    std::string pattern =
        (temp / (std::string(kPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // An empty folder for one input.
  std::filesystem::path fresh(const std::string& name) const {
    const std::filesystem::path folder = root_ / name;
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return folder;
  }

 private:
  static constexpr std::string_view kPrefix = "brainalign-fuzz-";

  // Removes the scratch folders whose process no longer exists.
  static void remove_abandoned(const std::filesystem::path& temp) {
    std::error_code error;
    for (std::filesystem::directory_iterator entry(temp, error), end; !error && entry != end;
         entry.increment(error)) {
      const std::string name = entry->path().filename().string();
      if (!name.starts_with(kPrefix)) continue;
      const char* first = name.data() + kPrefix.size();
      const char* last = name.data() + name.size();
      pid_t pid = 0;
      const auto [stop, status] = std::from_chars(first, last, pid);
      if (status != std::errc() || stop == first || stop == last || *stop != '-' || pid <= 0) {
        continue;
      }
      // ESRCH: no such process. A live process, or one of another user, keeps its folder.
      if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
      std::error_code ignored;
      std::filesystem::remove_all(entry->path(), ignored);
    }
  }

  std::filesystem::path root_;
};

// The process's one scratch folder.
inline const Scratch& scratch() {
  static const Scratch instance;
  return instance;
}

inline std::string_view as_text(std::span<const std::uint8_t> input) {
  return {reinterpret_cast<const char*>(input.data()), input.size()};
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Writes the input as the file `name` in a fresh scratch folder of its own, and returns its path.
inline std::filesystem::path scratch_file(const std::string& folder, const std::string& name,
                                          std::span<const std::uint8_t> input) {
  const std::filesystem::path path = scratch().fresh(folder) / name;
  write_file(path, as_text(input));
  return path;
}

// Runs `read`; the readers' documented rejections end it quietly.
template <class Read>
void tolerate_rejection(Read&& read) {
  try {
    read();
  } catch (const InputError&) {
  } catch (const IoError&) {
  }
}

}  // namespace brainalign::fuzz::harness
