// MATLAB .mat files (v5, and v7.3 where libmatio reads them).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/numeric_array.h"

namespace brainalign::io {

class MatFile {
 public:
  explicit MatFile(const std::filesystem::path& path);
  ~MatFile();
  MatFile(const MatFile&) = delete;
  MatFile& operator=(const MatFile&) = delete;

  bool has(const std::string& name) const;
  // A real numeric variable; MATLAB's column-major storage is returned in C (row-major) order.
  NumericArray read_numeric(const std::string& name) const;
  // A cell array of char arrays (flattened in MATLAB's column order) or a char matrix (one
  // string per row).
  std::vector<std::string> read_strings(const std::string& name) const;
  std::vector<std::string> read_struct_field_strings(const std::string& var, const std::string& field) const;
  NumericArray read_struct_field_numeric(const std::string& var, const std::string& field) const;

 private:
  std::string source_;
  void* mat_ = nullptr;
};

}  // namespace brainalign::io
