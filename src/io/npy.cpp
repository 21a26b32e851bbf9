#include "brainalign/io/npy.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "array_order.h"
#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "python_literal.h"
#include "unicode.h"

namespace brainalign::io {
namespace {

using detail::PyValue;
using detail::visit_in_c_order;

constexpr std::uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kMagicSize = sizeof(kMagic);
// Magic, two version bytes and a 2-byte (1.0) or 4-byte (2.0, 3.0) header length.
constexpr std::size_t kMaxPreambleSize = kMagicSize + 2 + 4;
// numpy pads headers so that the data starts on a multiple of this.
constexpr std::size_t kHeaderAlignment = 64;

// A scalar dtype as a descr spells it: kind letter, bytes per element, byte order.
struct ScalarType {
  char kind = 0;
  std::size_t itemsize = 0;
  bool big_endian = false;
};

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

std::optional<std::size_t> checked_multiply(std::size_t a, std::size_t b) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) return std::nullopt;
  return a * b;
}

std::optional<std::size_t> element_count(const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  for (std::size_t extent : shape) {
    const auto product = checked_multiply(count, extent);
    if (!product) return std::nullopt;
    count = *product;
  }
  return count;
}

// Parses a scalar descr such as '<f8', '|S64', '>U10' or '|b1'. Throws InputError.
ScalarType parse_scalar_descr(const std::string& descr, const std::string& where) {
  std::string_view rest = descr;
  ScalarType type;
  if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) {
    type.big_endian = rest[0] == '>' || (rest[0] == '=' && std::endian::native == std::endian::big);
    rest.remove_prefix(1);
  }
  if (rest.empty()) throw InputError(where + ": empty dtype descr");
  type.kind = rest[0];
  rest.remove_prefix(1);
  if (type.kind == 'O') {
    throw InputError(where + ": dtype '" + descr +
                     "' holds pickled Python objects, which cannot be read; expected a numeric "
                     "or string dtype");
  }
  std::size_t count = 0;
  bool digits = !rest.empty();
  for (char c : rest) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    const auto product = checked_multiply(count, 10);
    if (!product || *product > std::numeric_limits<std::size_t>::max() - 16) {
      throw InputError(where + ": dtype '" + descr + "' has an absurd item size");
    }
    count = *product + static_cast<std::size_t>(c - '0');
  }
  const auto unsupported = [&] {
    return InputError(where + ": unsupported dtype '" + descr +
                      "'; expected bool (b1), int (i1-i8), unsigned (u1-u8), float (f2, f4, "
                      "f8), bytes (S<n>) or unicode (U<n>)");
  };
  if (!digits) throw unsupported();
  switch (type.kind) {
    case 'b':
      if (count != 1) throw unsupported();
      break;
    case 'i':
    case 'u':
      if (count != 1 && count != 2 && count != 4 && count != 8) throw unsupported();
      break;
    case 'f':
      if (count != 2 && count != 4 && count != 8) throw unsupported();
      break;
    case 'c':
      if (count != 8 && count != 16) throw unsupported();
      break;
    case 'S':
    case 'V':
      if (count == 0) throw unsupported();
      break;
    case 'U': {
      const auto bytes = checked_multiply(count, 4);
      if (count == 0 || !bytes) throw unsupported();
      count = *bytes;
      break;
    }
    default:
      throw unsupported();
  }
  type.itemsize = count;
  return type;
}

bool is_numeric(const ScalarType& type) {
  return type.kind == 'b' || type.kind == 'i' || type.kind == 'u' || type.kind == 'f';
}

// Loads an unsigned integer of `size` bytes stored with the given byte order.
std::uint64_t load_bits(const std::uint8_t* p, std::size_t size, bool big_endian) {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t shift = big_endian ? (size - 1 - i) : i;
    bits |= static_cast<std::uint64_t>(p[i]) << (8 * shift);
  }
  return bits;
}

double half_to_double(std::uint16_t bits) {
  const bool negative = (bits & 0x8000u) != 0;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  double value = 0;
  if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -24);
  } else if (exponent == 31) {
    value = mantissa == 0 ? std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::quiet_NaN();
  } else {
    value = std::ldexp(static_cast<double>(mantissa + 1024), exponent - 25);
  }
  return negative ? -value : value;
}

double decode_number(const std::uint8_t* p, const ScalarType& type) {
  const std::uint64_t bits = load_bits(p, type.itemsize, type.big_endian);
  switch (type.kind) {
    case 'b':
      return bits != 0 ? 1.0 : 0.0;
    case 'u':
      return static_cast<double>(bits);
    case 'i': {
      const std::size_t width = 8 * type.itemsize;
      const std::uint64_t sign_bit = std::uint64_t{1} << (width - 1);
      // Sign-extend to 64 bits.
      const std::uint64_t extended = width == 64 ? bits : ((bits ^ sign_bit) - sign_bit);
      return static_cast<double>(static_cast<std::int64_t>(extended));
    }
    case 'f':
      if (type.itemsize == 2) return half_to_double(static_cast<std::uint16_t>(bits));
      if (type.itemsize == 4)
        return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
      return std::bit_cast<double>(bits);
    default:
      return 0;
  }
}

std::string decode_string(const std::uint8_t* p, const ScalarType& type, const std::string& where) {
  std::string text;
  if (type.kind == 'S') {
    std::size_t length = type.itemsize;
    while (length > 0 && p[length - 1] == 0) --length;
    text.assign(reinterpret_cast<const char*>(p), length);
    return text;
  }
  std::size_t length = type.itemsize / 4;
  while (length > 0 && load_bits(p + 4 * (length - 1), 4, type.big_endian) == 0) --length;
  for (std::size_t i = 0; i < length; ++i) {
    const auto code = static_cast<std::uint32_t>(load_bits(p + 4 * i, 4, type.big_endian));
    if (!detail::is_scalar_value(code)) {
      throw InputError(where + ": invalid unicode code point " + std::to_string(code) + " in a '" +
                       (type.big_endian ? std::string(">") : std::string("<")) + "U' string");
    }
    detail::append_utf8(text, code);
  }
  return text;
}

// What the header dict says, checked.
struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::vector<NpyField> fields;
  std::size_t itemsize = 0;
};

std::vector<std::size_t> parse_shape(const PyValue& value, const std::string& where,
                                     const std::string& what) {
  std::vector<std::size_t> shape;
  if (value.kind == PyValue::Kind::kInt && !value.negative) {
    shape.push_back(static_cast<std::size_t>(value.magnitude));
    return shape;
  }
  if (value.kind != PyValue::Kind::kTuple) {
    throw InputError(where + ": " + what + " is not a tuple of non-negative integers");
  }
  for (const PyValue& extent : value.items) {
    if (extent.kind != PyValue::Kind::kInt || extent.negative) {
      throw InputError(where + ": " + what + " is not a tuple of non-negative integers");
    }
    shape.push_back(static_cast<std::size_t>(extent.magnitude));
  }
  return shape;
}

std::size_t structured_itemsize(const PyValue& list, const std::string& where,
                                std::vector<NpyField>* fields);

// Bytes of one element of a field dtype (a descr string or a nested list).
std::size_t field_dtype_itemsize(const PyValue& dtype, const std::string& where) {
  if (dtype.kind == PyValue::Kind::kString) return parse_scalar_descr(dtype.text, where).itemsize;
  if (dtype.kind == PyValue::Kind::kList) return structured_itemsize(dtype, where, nullptr);
  throw InputError(where + ": a structured field's dtype is neither a descr string nor a list");
}

// Walks a structured descr list, computing field offsets; fills `fields` when given.
std::size_t structured_itemsize(const PyValue& list, const std::string& where,
                                std::vector<NpyField>* fields) {
  if (list.items.empty()) throw InputError(where + ": structured dtype without fields");
  std::size_t offset = 0;
  for (const PyValue& entry : list.items) {
    if (entry.kind != PyValue::Kind::kTuple || entry.items.size() < 2 || entry.items.size() > 3) {
      throw InputError(where + ": structured descr entry " + detail::to_python_text(entry) +
                       " is not (name, dtype) or (name, dtype, shape)");
    }
    const PyValue& name_value = entry.items[0];
    std::string name;
    if (name_value.kind == PyValue::Kind::kString) {
      name = name_value.text;
    } else if (name_value.kind == PyValue::Kind::kTuple && name_value.items.size() == 2 &&
               name_value.items[1].kind == PyValue::Kind::kString) {
      name = name_value.items[1].text;  // (title, name)
    } else {
      throw InputError(where + ": structured field name " + detail::to_python_text(name_value) +
                       " is not a string");
    }
    const PyValue& dtype = entry.items[1];
    NpyField field;
    field.name = name;
    field.offset = offset;
    field.itemsize = field_dtype_itemsize(dtype, where + ", field '" + name + "'");
    field.descr = dtype.kind == PyValue::Kind::kString ? dtype.text : detail::to_python_text(dtype);
    if (entry.items.size() == 3) {
      field.subshape = parse_shape(entry.items[2], where, "the shape of field '" + name + "'");
    }
    const auto elements = element_count(field.subshape);
    const auto bytes = elements ? checked_multiply(*elements, field.itemsize) : std::nullopt;
    if (!bytes || *bytes > std::numeric_limits<std::size_t>::max() - offset) {
      throw InputError(where + ": field '" + name + "' has an absurd size");
    }
    offset += *bytes;
    // numpy writes alignment padding as unnamed void fields.
    const bool padding =
        name.empty() && !field.descr.empty() && field.descr.find('V') != std::string::npos;
    if (fields != nullptr && !padding) fields->push_back(std::move(field));
  }
  return offset;
}

Header parse_header_text(std::string_view text, const std::string& source) {
  PyValue dict;
  try {
    dict = detail::parse_python_literal(text);
  } catch (const std::invalid_argument& error) {
    throw InputError(source + ": the .npy header is not a valid Python literal: " + error.what());
  }
  const std::string expected_keys = "expected a dict with keys 'descr', 'fortran_order', 'shape'";
  if (dict.kind != PyValue::Kind::kDict || dict.fields.size() != 3) {
    throw InputError(source + ": the .npy header is not a dict of three keys; " + expected_keys);
  }
  const PyValue* descr = dict.find("descr");
  const PyValue* fortran = dict.find("fortran_order");
  const PyValue* shape = dict.find("shape");
  if (descr == nullptr || fortran == nullptr || shape == nullptr) {
    throw InputError(source + ": the .npy header has keys other than " + expected_keys);
  }
  Header header;
  if (fortran->kind != PyValue::Kind::kBool) {
    throw InputError(source + ": 'fortran_order' in the .npy header is not True or False");
  }
  header.fortran_order = fortran->boolean;
  header.shape = parse_shape(*shape, source, "'shape' in the .npy header");
  if (descr->kind == PyValue::Kind::kString) {
    header.descr = descr->text;
    header.itemsize = parse_scalar_descr(header.descr, source).itemsize;
  } else if (descr->kind == PyValue::Kind::kList) {
    header.descr = detail::to_python_text(*descr);
    header.itemsize = structured_itemsize(*descr, source, &header.fields);
    if (header.fields.empty()) {
      throw InputError(source + ": structured dtype has only padding fields");
    }
  } else {
    throw InputError(source + ": 'descr' in the .npy header is neither a string nor a list");
  }
  return header;
}

// Where the header text lies and where the data starts.
struct Layout {
  std::size_t header_offset = 0;
  std::size_t header_size = 0;
  int major_version = 0;
  std::size_t data_offset() const { return header_offset + header_size; }
};

// Reads magic, version and header length from the first bytes of a file of `total_size` bytes.
Layout parse_preamble(std::span<const std::uint8_t> prefix, std::size_t total_size,
                      const std::string& source) {
  if (prefix.size() < kMagicSize || !std::equal(kMagic, kMagic + kMagicSize, prefix.begin())) {
    throw InputError(source + ": not a .npy file; expected it to start with \\x93NUMPY");
  }
  if (prefix.size() < kMagicSize + 2) throw InputError(source + ": .npy file ends in its preamble");
  Layout layout;
  layout.major_version = prefix[kMagicSize];
  const int minor = prefix[kMagicSize + 1];
  if (layout.major_version < 1 || layout.major_version > 3 || minor != 0) {
    throw InputError(source + ": unsupported .npy format version " +
                     std::to_string(layout.major_version) + "." + std::to_string(minor) +
                     "; expected 1.0, 2.0 or 3.0");
  }
  const std::size_t length_bytes = layout.major_version == 1 ? 2 : 4;
  layout.header_offset = kMagicSize + 2 + length_bytes;
  if (prefix.size() < layout.header_offset) {
    throw InputError(source + ": .npy file ends in its preamble");
  }
  layout.header_size =
      static_cast<std::size_t>(load_bits(prefix.data() + kMagicSize + 2, length_bytes, false));
  if (layout.header_size > total_size - layout.header_offset) {
    throw InputError(source + ": truncated .npy file: the header needs " +
                     std::to_string(layout.header_size) + " bytes but the file has only " +
                     std::to_string(total_size - layout.header_offset) + " after the preamble");
  }
  return layout;
}

std::string header_string(std::span<const std::uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Size of the data the header announces, checked against what the file holds.
std::size_t data_size(const Header& header, std::size_t available, const std::string& source) {
  const auto count = element_count(header.shape);
  const auto bytes = count ? checked_multiply(*count, header.itemsize) : std::nullopt;
  if (!bytes) {
    throw InputError(source + ": absurd .npy shape " + shape_text(header.shape) +
                     ": its size in bytes overflows");
  }
  if (*bytes > available) {
    throw InputError(source + ": truncated .npy data: shape " + shape_text(header.shape) + " of '" +
                     header.descr + "' needs " + std::to_string(*bytes) +
                     " bytes but the file holds " + std::to_string(available));
  }
  return *bytes;
}

NpyArray make_array(Header header, std::vector<std::uint8_t> data, const std::string& source) {
  return NpyArray(source, std::move(header.descr), header.fortran_order, std::move(header.shape),
                  std::move(header.fields), header.itemsize, std::move(data));
}

// Header text padded with spaces and a newline so that the data starts aligned.
std::vector<std::uint8_t> encode_header(const std::string& descr,
                                        const std::vector<std::size_t>& shape) {
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
  std::size_t preamble = kMagicSize + 2 + 2;
  int major = 1;
  const auto padded_size = [&](std::size_t pre) {
    const std::size_t unpadded = pre + dict.size() + 1;
    return (unpadded + kHeaderAlignment - 1) / kHeaderAlignment * kHeaderAlignment - pre;
  };
  std::size_t header_size = padded_size(preamble);
  if (header_size > std::numeric_limits<std::uint16_t>::max()) {
    preamble = kMagicSize + 2 + 4;
    major = 2;
    header_size = padded_size(preamble);
  }
  dict.append(header_size - dict.size() - 1, ' ');
  dict += '\n';
  std::vector<std::uint8_t> bytes(kMagic, kMagic + kMagicSize);
  bytes.push_back(static_cast<std::uint8_t>(major));
  bytes.push_back(0);
  for (std::size_t i = 0; i < preamble - kMagicSize - 2; ++i) {
    bytes.push_back(static_cast<std::uint8_t>((header_size >> (8 * i)) & 0xFF));
  }
  bytes.insert(bytes.end(), dict.begin(), dict.end());
  return bytes;
}

std::size_t checked_count(const std::vector<std::size_t>& shape) {
  const auto count = element_count(shape);
  if (!count)
    throw InputError("cannot encode .npy array of shape " + shape_text(shape) +
                     ": its size overflows");
  return *count;
}

template <class T>
std::vector<std::uint8_t> encode_values(const T* data, const std::vector<std::size_t>& shape,
                                        const std::string& descr) {
  const std::size_t count = checked_count(shape);
  std::vector<std::uint8_t> bytes = encode_header(descr, shape);
  const std::size_t start = bytes.size();
  bytes.resize(start + count * sizeof(T));
  if (count > 0) std::memcpy(bytes.data() + start, data, count * sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < count; ++i) {
      std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(start + i * sizeof(T)),
                   bytes.begin() + static_cast<std::ptrdiff_t>(start + (i + 1) * sizeof(T)));
    }
  }
  return bytes;
}

}  // namespace

NpyArray::NpyArray(std::string source, std::string descr, bool fortran_order,
                   std::vector<std::size_t> shape, std::vector<NpyField> fields,
                   std::size_t itemsize, std::vector<std::uint8_t> data)
    : source_(std::move(source)),
      descr_(std::move(descr)),
      fortran_order_(fortran_order),
      shape_(std::move(shape)),
      fields_(std::move(fields)),
      itemsize_(itemsize),
      data_(std::move(data)) {
  const auto count = element_count(shape_);
  const auto bytes = count ? checked_multiply(*count, itemsize_) : std::nullopt;
  if (!bytes || *bytes != data_.size()) {
    throw InputError(source_ + ": array of shape " + shape_text(shape_) + " and item size " +
                     std::to_string(itemsize_) + " does not match its " +
                     std::to_string(data_.size()) + " data bytes");
  }
  size_ = *count;
}

std::vector<double> NpyArray::to_doubles() const {
  const ScalarType type = is_structured() ? ScalarType{} : parse_scalar_descr(descr_, source_);
  if (!is_numeric(type)) {
    throw InputError(source_ + ": dtype " + descr_ +
                     " is not numeric; expected bool, integer or float values");
  }
  std::vector<double> values;
  values.reserve(size_);
  visit_in_c_order(shape_, fortran_order_, size_, [&](std::size_t index) {
    values.push_back(decode_number(data_.data() + index * itemsize_, type));
  });
  return values;
}

std::vector<std::string> NpyArray::to_strings() const {
  const ScalarType type = is_structured() ? ScalarType{} : parse_scalar_descr(descr_, source_);
  if (type.kind != 'S' && type.kind != 'U') {
    throw InputError(source_ + ": dtype " + descr_ +
                     " is not a string type; expected bytes (S) or unicode (U) strings");
  }
  std::vector<std::string> values;
  values.reserve(size_);
  visit_in_c_order(shape_, fortran_order_, size_, [&](std::size_t index) {
    values.push_back(decode_string(data_.data() + index * itemsize_, type, source_));
  });
  return values;
}

const NpyField& NpyArray::scalar_field(const std::string& name) const {
  const auto found = std::find_if(fields_.begin(), fields_.end(),
                                  [&](const NpyField& field) { return field.name == name; });
  if (found == fields_.end()) {
    std::string known;
    for (const NpyField& field : fields_) known += (known.empty() ? "'" : ", '") + field.name + "'";
    throw InputError(source_ + ": no field '" + name + "' in the structured array; fields are " +
                     (known.empty() ? std::string("none (not a structured array)") : known));
  }
  if (!found->subshape.empty()) {
    throw InputError(source_ + ": field '" + name + "' has sub-array shape " +
                     shape_text(found->subshape) + "; expected one value per record");
  }
  if (!found->descr.empty() && found->descr.front() == '[') {
    throw InputError(source_ + ": field '" + name +
                     "' is itself structured; expected a scalar field");
  }
  return *found;
}

std::vector<double> NpyArray::field_doubles(const std::string& name) const {
  const NpyField& field = scalar_field(name);
  const std::string where = source_ + ", field '" + name + "'";
  const ScalarType type = parse_scalar_descr(field.descr, where);
  if (!is_numeric(type)) {
    throw InputError(where + ": dtype " + field.descr +
                     " is not numeric; expected bool, integer or float values");
  }
  std::vector<double> values;
  values.reserve(size_);
  visit_in_c_order(shape_, fortran_order_, size_, [&](std::size_t index) {
    values.push_back(decode_number(data_.data() + index * itemsize_ + field.offset, type));
  });
  return values;
}

std::vector<std::string> NpyArray::field_strings(const std::string& name) const {
  const NpyField& field = scalar_field(name);
  const std::string where = source_ + ", field '" + name + "'";
  const ScalarType type = parse_scalar_descr(field.descr, where);
  if (type.kind != 'S' && type.kind != 'U') {
    throw InputError(where + ": dtype " + field.descr +
                     " is not a string type; expected bytes (S) or unicode (U) strings");
  }
  std::vector<std::string> values;
  values.reserve(size_);
  visit_in_c_order(shape_, fortran_order_, size_, [&](std::size_t index) {
    values.push_back(decode_string(data_.data() + index * itemsize_ + field.offset, type, where));
  });
  return values;
}

NpyArray parse_npy(std::span<const std::uint8_t> bytes, const std::string& source) {
  const Layout layout =
      parse_preamble(bytes.first(std::min(bytes.size(), kMaxPreambleSize)), bytes.size(), source);
  Header header = parse_header_text(
      header_string(bytes.subspan(layout.header_offset, layout.header_size)), source);
  const std::size_t size = data_size(header, bytes.size() - layout.data_offset(), source);
  const auto data = bytes.subspan(layout.data_offset(), size);
  return make_array(std::move(header), std::vector<std::uint8_t>(data.begin(), data.end()), source);
}

NpyArray read_npy(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::error_code error;
  const std::uintmax_t file_size = std::filesystem::file_size(path, error);
  if (error) throw IoError("cannot read " + source + ": " + error.message());
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open " + source);
  const auto total = static_cast<std::size_t>(file_size);

  const auto read_exactly = [&](std::uint8_t* out, std::size_t count) {
    file.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count));
    if (static_cast<std::size_t>(file.gcount()) != count) {
      throw IoError("cannot read " + source + ": it ended early or changed while reading");
    }
  };
  std::vector<std::uint8_t> prefix(std::min(total, kMaxPreambleSize));
  read_exactly(prefix.data(), prefix.size());
  const Layout layout = parse_preamble(prefix, total, source);

  std::vector<std::uint8_t> header_bytes(layout.header_size);
  file.seekg(static_cast<std::streamoff>(layout.header_offset));
  read_exactly(header_bytes.data(), header_bytes.size());
  Header header = parse_header_text(header_string(header_bytes), source);

  std::vector<std::uint8_t> data(data_size(header, total - layout.data_offset(), source));
  read_exactly(data.data(), data.size());
  return make_array(std::move(header), std::move(data), source);
}

std::vector<std::uint8_t> encode_npy(const double* data, const std::vector<std::size_t>& shape) {
  return encode_values(data, shape, "<f8");
}

std::vector<std::uint8_t> encode_npy(const float* data, const std::vector<std::size_t>& shape) {
  return encode_values(data, shape, "<f4");
}

std::vector<std::uint8_t> encode_npy(const std::int64_t* data,
                                     const std::vector<std::size_t>& shape) {
  return encode_values(data, shape, "<i8");
}

std::vector<std::uint8_t> encode_npy_strings(const std::vector<std::string>& values) {
  return encode_npy_strings(values, {values.size()});
}

std::vector<std::uint8_t> encode_npy_strings(const std::vector<std::string>& values,
                                             const std::vector<std::size_t>& shape) {
  if (checked_count(shape) != values.size()) {
    throw InputError("cannot encode " + std::to_string(values.size()) +
                     " strings as a .npy array of shape " + shape_text(shape));
  }
  std::vector<std::vector<std::uint32_t>> decoded;
  decoded.reserve(values.size());
  std::size_t longest = 1;  // numpy's smallest unicode dtype is '<U1'
  for (std::size_t i = 0; i < values.size(); ++i) {
    try {
      decoded.push_back(detail::decode_utf8(values[i]));
    } catch (const std::invalid_argument& error) {
      throw InputError("cannot encode string " + std::to_string(i) +
                       " as .npy unicode: " + error.what());
    }
    longest = std::max(longest, decoded.back().size());
  }
  std::vector<std::uint8_t> bytes = encode_header("<U" + std::to_string(longest), shape);
  const std::size_t start = bytes.size();
  bytes.resize(start + values.size() * longest * 4, 0);
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    for (std::size_t k = 0; k < decoded[i].size(); ++k) {
      std::uint8_t* out = bytes.data() + start + (i * longest + k) * 4;
      for (std::size_t b = 0; b < 4; ++b) {
        out[b] = static_cast<std::uint8_t>((decoded[i][k] >> (8 * b)) & 0xFF);
      }
    }
  }
  return bytes;
}

void write_npy(const std::filesystem::path& path, const double* data,
               const std::vector<std::size_t>& shape) {
  write_file_atomically(path, encode_npy(data, shape));
}

void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::size_t>& shape) {
  write_file_atomically(path, encode_npy(data, shape));
}

void write_npy(const std::filesystem::path& path, const std::int64_t* data,
               const std::vector<std::size_t>& shape) {
  write_file_atomically(path, encode_npy(data, shape));
}

void write_npy_strings(const std::filesystem::path& path, const std::vector<std::string>& values) {
  write_file_atomically(path, encode_npy_strings(values));
}

}  // namespace brainalign::io
