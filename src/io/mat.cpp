#include "brainalign/io/mat.h"

#include <matio.h>

#include <memory>

#include "brainalign/error.h"

namespace brainalign::io {
namespace {

struct VarDeleter {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using VarPtr = std::unique_ptr<matvar_t, VarDeleter>;

std::vector<std::size_t> dims_of(const matvar_t* v) {
  std::vector<std::size_t> dims;
  for (int i = 0; i < v->rank; ++i) dims.push_back(v->dims[i]);
  return dims;
}

std::size_t count_of(const matvar_t* v) {
  std::size_t n = 1;
  for (int i = 0; i < v->rank; ++i) n *= v->dims[i];
  return n;
}

double element(const matvar_t* v, std::size_t i) {
  const auto* p = static_cast<const char*>(v->data);
  switch (v->data_type) {
    case MAT_T_DOUBLE: return reinterpret_cast<const double*>(p)[i];
    case MAT_T_SINGLE: return reinterpret_cast<const float*>(p)[i];
    case MAT_T_INT8: return reinterpret_cast<const std::int8_t*>(p)[i];
    case MAT_T_UINT8: return reinterpret_cast<const std::uint8_t*>(p)[i];
    case MAT_T_INT16: return reinterpret_cast<const std::int16_t*>(p)[i];
    case MAT_T_UINT16: return reinterpret_cast<const std::uint16_t*>(p)[i];
    case MAT_T_INT32: return reinterpret_cast<const std::int32_t*>(p)[i];
    case MAT_T_UINT32: return reinterpret_cast<const std::uint32_t*>(p)[i];
    case MAT_T_INT64: return static_cast<double>(reinterpret_cast<const std::int64_t*>(p)[i]);
    case MAT_T_UINT64: return static_cast<double>(reinterpret_cast<const std::uint64_t*>(p)[i]);
    default: return 0.0;
  }
}

NumericArray numeric_of(const matvar_t* v, const std::string& where) {
  if (v->class_type == MAT_C_CHAR || v->class_type == MAT_C_CELL || v->class_type == MAT_C_STRUCT ||
      v->isComplex || v->data == nullptr)
    throw InputError(where + ": expected a real numeric array");
  NumericArray out;
  out.shape = dims_of(v);
  const std::size_t n = count_of(v);
  out.values.resize(n);
  // Column-major (MATLAB) to row-major for 2-D; higher ranks reverse all axes likewise.
  std::vector<std::size_t> stride(out.shape.size(), 1);
  for (std::size_t k = 1; k < out.shape.size(); ++k) stride[k] = stride[k - 1] * out.shape[k - 1];
  std::vector<std::size_t> index(out.shape.size(), 0);
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t src = 0;
    for (std::size_t k = 0; k < index.size(); ++k) src += index[k] * stride[k];
    out.values[c] = element(v, src);
    for (std::size_t k = index.size(); k-- > 0;) {
      if (++index[k] < out.shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

std::string char_string(const matvar_t* v, std::size_t row, std::size_t rows, std::size_t cols) {
  std::string s;
  for (std::size_t c = 0; c < cols; ++c) {
    const std::size_t i = c * rows + row;
    if (v->data_type == MAT_T_UINT16 || v->data_type == MAT_T_UTF16) {
      const auto ch = static_cast<const std::uint16_t*>(v->data)[i];
      if (ch < 0x80) {
        s += static_cast<char>(ch);
      } else if (ch < 0x800) {
        s += static_cast<char>(0xC0 | (ch >> 6));
        s += static_cast<char>(0x80 | (ch & 0x3F));
      } else {
        s += static_cast<char>(0xE0 | (ch >> 12));
        s += static_cast<char>(0x80 | ((ch >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (ch & 0x3F));
      }
    } else {
      s += static_cast<const char*>(v->data)[i];
    }
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::vector<std::string> strings_of(const matvar_t* v, const std::string& where) {
  std::vector<std::string> out;
  if (v->class_type == MAT_C_CHAR) {
    if (v->rank != 2 || v->data == nullptr) throw InputError(where + ": expected a char matrix");
    for (std::size_t r = 0; r < v->dims[0]; ++r) out.push_back(char_string(v, r, v->dims[0], v->dims[1]));
    return out;
  }
  if (v->class_type == MAT_C_CELL) {
    const std::size_t n = count_of(v);
    auto** cells = static_cast<matvar_t**>(v->data);
    for (std::size_t i = 0; i < n; ++i) {
      const matvar_t* cell = cells ? cells[i] : nullptr;
      if (!cell || cell->class_type != MAT_C_CHAR)
        throw InputError(where + ": cell " + std::to_string(i) + " is not a string");
      if (cell->data == nullptr || count_of(cell) == 0) {
        out.emplace_back();
      } else {
        out.push_back(char_string(cell, 0, cell->dims[0], count_of(cell) / cell->dims[0]));
      }
    }
    return out;
  }
  throw InputError(where + ": expected a cell array of strings or a char matrix");
}

}  // namespace

MatFile::MatFile(const std::filesystem::path& path) : source_(path.string()) {
  mat_ = Mat_Open(path.c_str(), MAT_ACC_RDONLY);
  if (!mat_) throw InputError(source_ + ": not a readable MAT file");
}

MatFile::~MatFile() {
  if (mat_) Mat_Close(static_cast<mat_t*>(mat_));
}

bool MatFile::has(const std::string& name) const {
  VarPtr v(Mat_VarReadInfo(static_cast<mat_t*>(mat_), name.c_str()));
  return v != nullptr;
}

namespace {
VarPtr read_var(void* mat, const std::string& source, const std::string& name) {
  VarPtr v(Mat_VarRead(static_cast<mat_t*>(mat), name.c_str()));
  if (!v) throw InputError(source + ": no variable '" + name + "'");
  return v;
}
const matvar_t* field_of(const matvar_t* v, const std::string& source, const std::string& var, const std::string& field) {
  if (v->class_type != MAT_C_STRUCT) throw InputError(source + ", variable '" + var + "': expected a struct");
  const matvar_t* f = Mat_VarGetStructFieldByName(const_cast<matvar_t*>(v), field.c_str(), 0);
  if (!f) throw InputError(source + ", variable '" + var + "': no field '" + field + "'");
  return f;
}
}  // namespace

NumericArray MatFile::read_numeric(const std::string& name) const {
  const VarPtr v = read_var(mat_, source_, name);
  return numeric_of(v.get(), source_ + ", field '" + name + "'");
}

std::vector<std::string> MatFile::read_strings(const std::string& name) const {
  const VarPtr v = read_var(mat_, source_, name);
  return strings_of(v.get(), source_ + ", field '" + name + "'");
}

std::vector<std::string> MatFile::read_struct_field_strings(const std::string& var, const std::string& field) const {
  const VarPtr v = read_var(mat_, source_, var);
  return strings_of(field_of(v.get(), source_, var, field), source_ + ", field '" + var + "." + field + "'");
}

NumericArray MatFile::read_struct_field_numeric(const std::string& var, const std::string& field) const {
  const VarPtr v = read_var(mat_, source_, var);
  return numeric_of(field_of(v.get(), source_, var, field), source_ + ", field '" + var + "." + field + "'");
}

}  // namespace brainalign::io
