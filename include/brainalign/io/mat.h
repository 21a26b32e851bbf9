// MATLAB .mat files (v5, and v7.3 through libmatio's HDF5 support): numeric matrices, cell
// arrays of strings, char matrices and fields of struct variables.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/numeric_array.h"

struct _mat_t;  // libmatio's file handle

namespace brainalign::io {

// An open .mat file. Reads are not safe to run concurrently on one MatFile.
//
// MATLAB stores arrays column-major. read_numeric keeps MATLAB's shape (an m x n matrix has
// shape {m, n}) but returns the values in C (row-major) order, so values[i * n + j] is
// element (i + 1, j + 1) in MATLAB terms. Cell arrays of strings are flattened in MATLAB's
// column-major order, the order of `c(:)`.
class MatFile {
 public:
  // Throws IoError if the file does not exist and InputError if it is not a .mat file.
  explicit MatFile(const std::filesystem::path& path);
  ~MatFile();
  MatFile(MatFile&& other) noexcept;
  MatFile& operator=(MatFile&& other) noexcept;
  MatFile(const MatFile&) = delete;
  MatFile& operator=(const MatFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool has(const std::string& name) const;
  // Names of the variables in file order.
  std::vector<std::string> variable_names() const;

  // A real numeric or logical array as doubles (see the class comment for the order).
  NumericArray read_numeric(const std::string& name) const;
  // A cell array of char rows (any shape, column-major order) or a char matrix (one string
  // per row, trailing blanks removed).
  std::vector<std::string> read_strings(const std::string& name) const;
  // The same for field `field` of a 1 x 1 struct variable, such as stim_info.stim_names.
  NumericArray read_struct_field_numeric(const std::string& variable,
                                         const std::string& field) const;
  std::vector<std::string> read_struct_field_strings(const std::string& variable,
                                                     const std::string& field) const;

  // All readers throw InputError naming the file and the variable (and field) when it is
  // missing or does not have the expected class.

 private:
  std::filesystem::path path_;
  _mat_t* mat_ = nullptr;
};

}  // namespace brainalign::io
