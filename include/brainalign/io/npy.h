// NumPy .npy files (format versions 1.0, 2.0 and 3.0): reading, including structured arrays,
// and writing of double, float, int64 and unicode string arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace brainalign::io {

// One field of a structured dtype, for example ('hemi', '|S2').
struct NpyField {
  std::string name;
  // A scalar descr ('<i8', '|S64'), or the Python text of a nested structured descr.
  std::string descr;
  // Bytes from the start of a record to the field.
  std::size_t offset = 0;
  // Bytes of one element of the field's dtype; the field occupies itemsize * prod(subshape).
  std::size_t itemsize = 0;
  // Extra dimensions of the field, empty for a plain field.
  std::vector<std::size_t> subshape;
};

// An array read from a .npy file: its raw bytes in file order plus what the header says.
// Conversions return elements in C (row-major) order whatever the file's order.
class NpyArray {
 public:
  // Checks that `data` holds exactly size() * itemsize bytes; throws InputError naming source.
  NpyArray(std::string source, std::string descr, bool fortran_order,
           std::vector<std::size_t> shape, std::vector<NpyField> fields, std::size_t itemsize,
           std::vector<std::uint8_t> data);

  const std::vector<std::size_t>& shape() const { return shape_; }
  // The descr as written ('<f8'), or the Python text of the field list for structured dtypes.
  const std::string& descr() const { return descr_; }
  bool fortran_order() const { return fortran_order_; }
  // Number of elements (records for structured arrays): the product of shape().
  std::size_t size() const { return size_; }
  // Bytes per element (per record).
  std::size_t itemsize() const { return itemsize_; }
  const std::vector<NpyField>& fields() const { return fields_; }
  bool is_structured() const { return !fields_.empty(); }
  // Raw element bytes in file order (see fortran_order()) and file byte order.
  std::span<const std::uint8_t> bytes() const { return data_; }
  // The file name (or archive member) that errors mention.
  const std::string& source() const { return source_; }

  // Values of a numeric array (bool, signed and unsigned integers, float16/32/64, either byte
  // order) in C order. Throws InputError for other dtypes.
  std::vector<double> to_doubles() const;
  // Values of a bytes ('S') or unicode ('U', decoded to UTF-8) array in C order, trailing NULs
  // removed. Throws InputError for other dtypes.
  std::vector<std::string> to_strings() const;
  // One numeric field of a structured array, one value per record in C order.
  std::vector<double> field_doubles(const std::string& name) const;
  // One bytes or unicode field of a structured array, one value per record in C order.
  std::vector<std::string> field_strings(const std::string& name) const;

 private:
  const NpyField& scalar_field(const std::string& name) const;

  std::string source_;
  std::string descr_;
  bool fortran_order_ = false;
  std::vector<std::size_t> shape_;
  std::vector<NpyField> fields_;
  std::size_t itemsize_ = 0;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> data_;
};

// Reads a .npy file. Throws IoError when the file cannot be read and InputError when its
// content is not a supported .npy array (bad magic, object dtype, truncated data, ...).
NpyArray read_npy(const std::filesystem::path& path);
// Parses .npy bytes; `source` names them in error messages.
NpyArray parse_npy(std::span<const std::uint8_t> bytes, const std::string& source);

// .npy bytes (little endian, C order, version 1.0 unless the header needs 2.0) for `data`
// laid out in C order with `shape`; an empty shape is a scalar.
std::vector<std::uint8_t> encode_npy(const double* data, const std::vector<std::size_t>& shape);
std::vector<std::uint8_t> encode_npy(const float* data, const std::vector<std::size_t>& shape);
std::vector<std::uint8_t> encode_npy(const std::int64_t* data,
                                     const std::vector<std::size_t>& shape);
// UTF-8 strings as a '<U{longest}' array of shape (n,) or `shape`. Throws InputError for
// invalid UTF-8 or a shape that does not match the number of strings.
std::vector<std::uint8_t> encode_npy_strings(const std::vector<std::string>& values);
std::vector<std::uint8_t> encode_npy_strings(const std::vector<std::string>& values,
                                             const std::vector<std::size_t>& shape);

// Atomic writers (temporary file in the same folder, then rename). Throw IoError.
void write_npy(const std::filesystem::path& path, const double* data,
               const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& path, const std::int64_t* data,
               const std::vector<std::size_t>& shape);
void write_npy_strings(const std::filesystem::path& path, const std::vector<std::string>& values);

}  // namespace brainalign::io
