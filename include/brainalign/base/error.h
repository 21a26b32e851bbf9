// Errors brainalign reports: every message names where the problem is (file, field, layer,
// stimulus) and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace brainalign {

// Something the user gave (a file, an option, a value) is not what brainalign can use.
// The CLI maps it to exit code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// Reading or writing a file failed for a reason outside the input's content (missing,
// unreadable, disk full).
class IoError : public std::runtime_error {
 public:
  explicit IoError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace brainalign
