#include "brainalign/io/mat.h"

#include <matio.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "array_order.h"
#include "brainalign/base/error.h"
#include "deflate_bound.h"
#include "mat_prescan.h"
#include "unicode.h"

namespace brainalign::io {
namespace {

struct VariableFree {
  void operator()(matvar_t* variable) const { Mat_VarFree(variable); }
};
using Variable = std::unique_ptr<matvar_t, VariableFree>;

// libmatio prints its errors to stderr; keep the last one for our own messages instead.
thread_local std::string last_matio_message;

void capture_matio_log(int level, char* message) {
  if ((level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL)) != 0 && message != nullptr) {
    last_matio_message = message;
  }
}

void install_matio_logger() {
  static const bool installed = [] {
    Mat_LogInitFunc("brainalign", capture_matio_log);
    return true;
  }();
  (void)installed;
}

std::string class_name(matio_classes class_type) {
  switch (class_type) {
    case MAT_C_EMPTY:
      return "empty array";
    case MAT_C_CELL:
      return "cell array";
    case MAT_C_STRUCT:
      return "struct";
    case MAT_C_OBJECT:
      return "object";
    case MAT_C_CHAR:
      return "char array";
    case MAT_C_SPARSE:
      return "sparse matrix";
    case MAT_C_DOUBLE:
      return "double array";
    case MAT_C_SINGLE:
      return "single array";
    case MAT_C_INT8:
      return "int8 array";
    case MAT_C_UINT8:
      return "uint8 array";
    case MAT_C_INT16:
      return "int16 array";
    case MAT_C_UINT16:
      return "uint16 array";
    case MAT_C_INT32:
      return "int32 array";
    case MAT_C_UINT32:
      return "uint32 array";
    case MAT_C_INT64:
      return "int64 array";
    case MAT_C_UINT64:
      return "uint64 array";
    case MAT_C_FUNCTION:
      return "function handle";
    case MAT_C_OPAQUE:
      return "opaque object";
  }
  return "unknown class";
}

std::vector<std::size_t> shape_of(const matvar_t* variable) {
  if (variable->rank <= 0 || variable->dims == nullptr) return {};
  return std::vector<std::size_t>(variable->dims, variable->dims + variable->rank);
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string text;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += " x ";
    text += std::to_string(shape[i]);
  }
  return text.empty() ? "scalar" : text;
}

std::size_t element_count(const std::vector<std::size_t>& shape, const std::string& where) {
  std::size_t count = 1;
  for (std::size_t extent : shape) {
    if (extent != 0 && count > std::numeric_limits<std::size_t>::max() / 8 / extent) {
      throw InputError(where + ": absurd array shape");
    }
    count *= extent;
  }
  return count;
}

template <class T>
double element_as_double(const void* data, std::size_t index) {
  T value;
  std::memcpy(&value, static_cast<const std::uint8_t*>(data) + index * sizeof(T), sizeof(T));
  return static_cast<double>(value);
}

// Element `index` (column-major storage) of a real numeric array.
double numeric_element(const matvar_t* variable, std::size_t index) {
  switch (variable->data_type) {
    case MAT_T_DOUBLE:
      return element_as_double<double>(variable->data, index);
    case MAT_T_SINGLE:
      return element_as_double<float>(variable->data, index);
    case MAT_T_INT8:
      return element_as_double<std::int8_t>(variable->data, index);
    case MAT_T_UINT8:
      return element_as_double<std::uint8_t>(variable->data, index);
    case MAT_T_INT16:
      return element_as_double<std::int16_t>(variable->data, index);
    case MAT_T_UINT16:
      return element_as_double<std::uint16_t>(variable->data, index);
    case MAT_T_INT32:
      return element_as_double<std::int32_t>(variable->data, index);
    case MAT_T_UINT32:
      return element_as_double<std::uint32_t>(variable->data, index);
    case MAT_T_INT64:
      return element_as_double<std::int64_t>(variable->data, index);
    case MAT_T_UINT64:
      return element_as_double<std::uint64_t>(variable->data, index);
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

bool is_numeric_storage(matio_types data_type) {
  switch (data_type) {
    case MAT_T_DOUBLE:
    case MAT_T_SINGLE:
    case MAT_T_INT8:
    case MAT_T_UINT8:
    case MAT_T_INT16:
    case MAT_T_UINT16:
    case MAT_T_INT32:
    case MAT_T_UINT32:
    case MAT_T_INT64:
    case MAT_T_UINT64:
      return true;
    default:
      return false;
  }
}

bool is_numeric_class(matio_classes class_type) {
  return class_type >= MAT_C_DOUBLE && class_type <= MAT_C_UINT64;
}

NumericArray to_numeric(const matvar_t* variable, const std::string& where) {
  if (!is_numeric_class(variable->class_type)) {
    throw InputError(where + ": is a " + class_name(variable->class_type) +
                     "; expected a real numeric matrix");
  }
  if (variable->isComplex != 0) {
    throw InputError(where + ": is complex; expected a real numeric matrix");
  }
  NumericArray array;
  array.shape = shape_of(variable);
  const std::size_t count = element_count(array.shape, where);
  if (count == 0) return array;
  if (variable->data == nullptr || Mat_SizeOf(variable->data_type) == 0 ||
      variable->nbytes < count * Mat_SizeOf(variable->data_type)) {
    throw InputError(where + ": its data could not be read");
  }
  if (!is_numeric_storage(variable->data_type)) {
    throw InputError(where + ": unsupported numeric storage type");
  }
  array.values.reserve(count);
  detail::visit_in_c_order(array.shape, true, count, [&](std::size_t index) {
    array.values.push_back(numeric_element(variable, index));
  });
  return array;
}

// UTF-8 text of code units: UTF-16 units when `utf16` is true, code points otherwise.
std::string encode_units(const std::vector<std::uint32_t>& units, bool utf16,
                         const std::string& where) {
  std::string text;
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t code = units[i];
    if (utf16 && code >= 0xD800 && code <= 0xDBFF && i + 1 < units.size() &&
        units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      code = 0x10000 + ((code - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    }
    if (!detail::is_scalar_value(code)) {
      throw InputError(where + ": invalid character code " + std::to_string(code));
    }
    detail::append_utf8(text, code);
  }
  return text;
}

// The characters of a char array in storage order. 8-bit storage is UTF-8 where it decodes to
// exactly `count` characters (scipy writes non-ASCII text so) and Latin-1 otherwise.
std::vector<std::uint32_t> char_units(const matvar_t* variable, std::size_t count,
                                      const std::string& where, bool* utf16) {
  std::size_t unit_bytes = 0;
  switch (variable->data_type) {
    case MAT_T_UINT8:
    case MAT_T_INT8:
    case MAT_T_UTF8:
      unit_bytes = 1;
      break;
    case MAT_T_UINT16:
    case MAT_T_INT16:
    case MAT_T_UTF16:
      unit_bytes = 2;
      break;
    case MAT_T_UINT32:
    case MAT_T_INT32:
    case MAT_T_UTF32:
      unit_bytes = 4;
      break;
    default:
      throw InputError(where + ": unsupported character storage type");
  }
  *utf16 = unit_bytes == 2;
  if (count == 0) return {};
  if (variable->data == nullptr || variable->nbytes < count * unit_bytes) {
    throw InputError(where + ": its characters could not be read");
  }
  const auto* bytes = static_cast<const std::uint8_t*>(variable->data);
  // UTF-8 takes at most 4 bytes a character: more bytes cannot decode to `count` characters
  // (and a corrupt header can claim gigabytes).
  if (unit_bytes == 1 && variable->nbytes / 4 <= count) {
    try {
      auto code_points = detail::decode_utf8(
          std::string_view(reinterpret_cast<const char*>(bytes), variable->nbytes));
      if (code_points.size() == count) return code_points;
    } catch (const std::invalid_argument&) {
      // Not UTF-8: fall through to Latin-1.
    }
  }
  if (unit_bytes == 1) return std::vector<std::uint32_t>(bytes, bytes + count);
  std::vector<std::uint32_t> units(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (unit_bytes == 2) {
      std::uint16_t unit;
      std::memcpy(&unit, bytes + 2 * i, 2);
      units[i] = unit;
    } else {
      std::memcpy(&units[i], bytes + 4 * i, 4);
    }
  }
  return units;
}

// The size of the file in bytes, which bounds what a variable in it may declare.
std::uint64_t file_bytes(const std::filesystem::path& path) {
  std::error_code error;
  const std::uint64_t size = std::filesystem::file_size(path, error);
  if (error) throw IoError("cannot read " + path.string() + ": " + error.message());
  return size;
}

// The rows of a 2-D char array as UTF-8 strings, optionally without trailing blanks. Each row
// becomes a string even where it holds no characters, so the row count is held to
// `file_bytes` x the deflate bound like any declared size: a 200-byte file declaring a
// 67,305,474 x 0 char array would otherwise cost 2 GB of empty strings.
std::vector<std::string> char_rows(const matvar_t* variable, const std::string& where,
                                   bool trim_blanks, std::uint64_t file_bytes) {
  if (variable->class_type != MAT_C_CHAR) {
    throw InputError(where + ": is a " + class_name(variable->class_type) +
                     "; expected text (a char array)");
  }
  const std::vector<std::size_t> shape = shape_of(variable);
  if (shape.size() != 2) {
    throw InputError(where + ": is a " + shape_text(shape) + " char array; expected 2-D");
  }
  const std::size_t rows = shape[0];
  const std::size_t columns = shape[1];
  if (rows > file_bytes * detail::kMaxDeflateRatio) {
    throw InputError(where + ": is a " + shape_text(shape) +
                     " char array, more rows of text than the " + std::to_string(file_bytes) +
                     "-byte file can hold");
  }
  const std::size_t count = element_count(shape, where);
  bool utf16 = false;
  const std::vector<std::uint32_t> characters = char_units(variable, count, where, &utf16);
  std::vector<std::string> result;
  result.reserve(rows);
  for (std::size_t row = 0; row < rows; ++row) {
    std::vector<std::uint32_t> units;
    units.reserve(columns);
    for (std::size_t column = 0; column < columns; ++column) {
      units.push_back(characters[row + rows * column]);
    }
    if (trim_blanks) {
      while (!units.empty() && (units.back() == ' ' || units.back() == 0)) units.pop_back();
    }
    result.push_back(encode_units(units, utf16, where));
  }
  return result;
}

std::vector<std::string> to_strings(matvar_t* variable, const std::string& where,
                                    std::uint64_t file_bytes) {
  if (variable->class_type == MAT_C_CHAR) return char_rows(variable, where, true, file_bytes);
  if (variable->class_type != MAT_C_CELL) {
    throw InputError(where + ": is a " + class_name(variable->class_type) +
                     "; expected a cell array of strings or a char matrix");
  }
  const std::size_t count = element_count(shape_of(variable), where);
  if (count > static_cast<std::size_t>(INT_MAX)) throw InputError(where + ": too many cells");
  std::vector<std::string> values;
  values.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string cell_where = where + ", cell " + std::to_string(i + 1);
    const matvar_t* cell = Mat_VarGetCell(variable, static_cast<int>(i));
    if (cell == nullptr) throw InputError(cell_where + ": cannot be read");
    const std::vector<std::size_t> shape = shape_of(cell);
    const bool empty = element_count(shape, cell_where) == 0;
    if (empty && (cell->class_type == MAT_C_CHAR || cell->class_type == MAT_C_EMPTY ||
                  cell->class_type == MAT_C_DOUBLE)) {
      values.emplace_back();
      continue;
    }
    const std::vector<std::string> rows = char_rows(cell, cell_where, false, file_bytes);
    if (rows.size() != 1) {
      throw InputError(cell_where + ": is a " + shape_text(shape) +
                       " char array; expected a single row of text");
    }
    values.push_back(rows.front());
  }
  return values;
}

}  // namespace

MatFile::MatFile(const std::filesystem::path& path) : path_(path) {
  install_matio_logger();
  std::error_code status;
  if (!std::filesystem::is_regular_file(path_, status)) {
    throw IoError("cannot read " + path_.string() + ": not an existing file");
  }
  prescan_mat_file(path_);
  last_matio_message.clear();
  mat_ = Mat_Open(path_.c_str(), MAT_ACC_RDONLY);
  if (mat_ == nullptr) {
    throw InputError(path_.string() + ": not a MATLAB .mat file (v4, v5 or v7.3)" +
                     (last_matio_message.empty() ? "" : ": " + last_matio_message));
  }
}

MatFile::~MatFile() {
  if (mat_ != nullptr) Mat_Close(mat_);
}

MatFile::MatFile(MatFile&& other) noexcept
    : path_(std::move(other.path_)), mat_(std::exchange(other.mat_, nullptr)) {}

MatFile& MatFile::operator=(MatFile&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(mat_, other.mat_);
  return *this;
}

bool MatFile::has(const std::string& name) const {
  const Variable info(Mat_VarReadInfo(mat_, name.c_str()));
  return info != nullptr;
}

std::vector<std::string> MatFile::variable_names() const {
  std::size_t count = 0;
  char** names = Mat_GetDir(mat_, &count);
  std::vector<std::string> result;
  for (std::size_t i = 0; names != nullptr && i < count; ++i) {
    if (names[i] != nullptr) result.emplace_back(names[i]);
  }
  return result;
}

namespace {

// Fewest bytes one element of the class takes in a file (a cell or struct field at least a tag).
std::uint64_t stored_element_bytes(const matvar_t* info) {
  switch (info->class_type) {
    case MAT_C_DOUBLE:
    case MAT_C_INT64:
    case MAT_C_UINT64:
    case MAT_C_CELL:
      return 8;
    case MAT_C_SINGLE:
    case MAT_C_INT32:
    case MAT_C_UINT32:
      return 4;
    case MAT_C_INT16:
    case MAT_C_UINT16:
      return 2;
    case MAT_C_STRUCT:
      return 8 * std::max<std::uint64_t>(1, Mat_VarGetNumberOfFields(const_cast<matvar_t*>(info)));
    case MAT_C_SPARSE:
      return 0;  // sparse dims say nothing of the stored size
    default:
      return 1;
  }
}

// Refuses a variable whose declared size could not come from the file (even compressed)
// before libmatio allocates its data.
void check_declared_size(mat_t* mat, const std::filesystem::path& path, const std::string& name,
                         const std::string& where) {
  const Variable info(Mat_VarReadInfo(mat, name.c_str()));
  if (!info) return;  // reported by the read that follows
  const std::size_t count = element_count(shape_of(info.get()), where);
  const std::uint64_t file_size = file_bytes(path);
  const std::uint64_t element = stored_element_bytes(info.get());
  if (element != 0 && count > file_size * detail::kMaxDeflateRatio / element) {
    throw InputError(where + ": declares a " + shape_text(shape_of(info.get())) + " " +
                     class_name(info->class_type) + ", more than the " + std::to_string(file_size) +
                     "-byte file can hold");
  }
}

Variable read_variable(mat_t* mat, const MatFile& file, const std::string& name,
                       const std::string& where) {
  last_matio_message.clear();
  if (!name.empty()) check_declared_size(mat, file.path(), name, where);
  Variable variable(name.empty() ? nullptr : Mat_VarRead(mat, name.c_str()));
  if (variable) return variable;
  if (!file.has(name)) {
    std::string known;
    for (const std::string& variable_name : file.variable_names()) {
      known += (known.empty() ? "" : ", ") + variable_name;
    }
    throw InputError(where + ": no such variable; the file has " +
                     (known.empty() ? std::string("none") : known));
  }
  throw InputError(where + ": cannot be read" +
                   (last_matio_message.empty() ? "" : ": " + last_matio_message));
}

// Field `field` of the 1 x 1 struct `variable`; owned by `variable`.
matvar_t* struct_field(matvar_t* variable, const std::string& field, const std::string& where) {
  if (variable->class_type != MAT_C_STRUCT) {
    throw InputError(where + ": is a " + class_name(variable->class_type) + "; expected a struct");
  }
  const std::vector<std::size_t> shape = shape_of(variable);
  if (element_count(shape, where) != 1) {
    throw InputError(where + ": is a " + shape_text(shape) + " struct array; expected 1 x 1");
  }
  matvar_t* value = Mat_VarGetStructFieldByName(variable, field.c_str(), 0);
  if (value == nullptr) {
    std::string known;
    char* const* names = Mat_VarGetStructFieldnames(variable);
    const unsigned count = Mat_VarGetNumberOfFields(variable);
    for (unsigned i = 0; names != nullptr && i < count; ++i) {
      known += (known.empty() ? "" : ", ") + std::string(names[i]);
    }
    throw InputError(where + ": has no field '" + field + "'; its fields are " +
                     (known.empty() ? std::string("none") : known));
  }
  return value;
}

std::string variable_location(const std::filesystem::path& path, const std::string& name) {
  return path.string() + ", variable '" + name + "'";
}

}  // namespace

NumericArray MatFile::read_numeric(const std::string& name) const {
  const std::string where = variable_location(path_, name);
  const Variable variable = read_variable(mat_, *this, name, where);
  return to_numeric(variable.get(), where);
}

std::vector<std::string> MatFile::read_strings(const std::string& name) const {
  const std::string where = variable_location(path_, name);
  const Variable variable = read_variable(mat_, *this, name, where);
  return to_strings(variable.get(), where, file_bytes(path_));
}

NumericArray MatFile::read_struct_field_numeric(const std::string& variable_name,
                                                const std::string& field) const {
  const std::string where = variable_location(path_, variable_name);
  const Variable variable = read_variable(mat_, *this, variable_name, where);
  return to_numeric(struct_field(variable.get(), field, where), where + ", field '" + field + "'");
}

std::vector<std::string> MatFile::read_struct_field_strings(const std::string& variable_name,
                                                            const std::string& field) const {
  const std::string where = variable_location(path_, variable_name);
  const Variable variable = read_variable(mat_, *this, variable_name, where);
  return to_strings(struct_field(variable.get(), field, where), where + ", field '" + field + "'",
                    file_bytes(path_));
}

}  // namespace brainalign::io
