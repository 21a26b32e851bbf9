// Errors brainalign reports: every message names where the problem is (file, field, layer,
// stimulus) and what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace brainalign {

// Something the user gave (a file, an option, a value) is not what brainalign can use.
// The CLI maps it to exit code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// Bad input in one argument of a library call. what() names the argument as the library
// does ("protocol: 'x' is not a protocol ..."); argument() and detail() let a front end name
// it its own way (the command line says --protocol, the Python bindings protocol=).
class ArgumentError : public InputError {
 public:
  ArgumentError(std::string argument, std::string detail)
      : InputError(argument + ": " + detail),
        argument_(std::move(argument)),
        detail_(std::move(detail)) {}
  const std::string& argument() const { return argument_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string argument_;
  std::string detail_;
};

// Reading or writing a file failed for a reason outside the input's content (missing,
// unreadable, disk full).
class IoError : public std::runtime_error {
 public:
  explicit IoError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace brainalign
