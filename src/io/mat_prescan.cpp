#include "mat_prescan.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/base/error.h"
#include "deflate_bound.h"
#include "hdf5_prescan.h"

namespace brainalign::io {
namespace {

// v5 data types and array classes (MAT-file format, "Data Types" and "Array Flags").
constexpr std::uint32_t kMiInt8 = 1;
constexpr std::uint32_t kMiInt32 = 5;
constexpr std::uint32_t kMiUint32 = 6;
constexpr std::uint32_t kMiMatrix = 14;
constexpr std::uint32_t kMiCompressed = 15;
constexpr std::uint32_t kCellClass = 1;
constexpr std::uint32_t kStructClass = 2;
constexpr std::uint32_t kObjectClass = 3;
constexpr std::uint32_t kCharClass = 4;
constexpr std::uint32_t kSparseClass = 5;
constexpr std::uint32_t kFirstNumericClass = 6;  // double
constexpr std::uint32_t kLastNumericClass = 15;  // uint64
// libmatio reads nested arrays recursively; deeper nesting is refused before it recurses.
constexpr int kMaxDepth = 64;
// MATLAB allows at most a few dozen dimensions; 1,024 is far beyond any real file.
constexpr std::uint64_t kMaxDimensionBytes = 4096;

std::uint64_t padded(std::uint64_t bytes) { return (bytes + 7) / 8 * 8; }

std::uint32_t word(const unsigned char* bytes, bool big_endian) {
  std::uint32_t value = 0;
  for (std::size_t b = 0; b < 4; ++b) {
    value |= std::uint32_t{bytes[b]} << (8 * (big_endian ? 3 - b : b));
  }
  return value;
}

// Bytes of one stored element of a numeric or character data type; 0 for other types.
std::uint64_t data_type_bytes(std::uint32_t type) {
  switch (type) {
    case 1:   // miINT8
    case 2:   // miUINT8
    case 16:  // miUTF8
      return 1;
    case 3:   // miINT16
    case 4:   // miUINT16
    case 17:  // miUTF16
      return 2;
    case 5:   // miINT32
    case 6:   // miUINT32
    case 7:   // miSINGLE
    case 18:  // miUTF32
      return 4;
    case 9:   // miDOUBLE
    case 12:  // miINT64
    case 13:  // miUINT64
      return 8;
    default:
      return 0;
  }
}

// The bytes of one variable, read in order: straight from the file, or inflated.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Copies the next `count` bytes to `out`; false where the stream ends first.
  virtual bool read(unsigned char* out, std::size_t count) = 0;
  // Passes over `count` bytes; false where the stream ends first.
  virtual bool skip(std::uint64_t count) = 0;
};

class FileBytes final : public ByteStream {
 public:
  FileBytes(std::ifstream& file, std::uint64_t begin, std::uint64_t end)
      : file_(file), at_(begin), end_(end) {}

  bool read(unsigned char* out, std::size_t count) override {
    if (count > end_ - at_) return false;
    file_.clear();
    file_.seekg(static_cast<std::streamoff>(at_));
    if (!file_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count))) {
      return false;
    }
    at_ += count;
    return true;
  }

  bool skip(std::uint64_t count) override {
    if (count > end_ - at_) return false;
    at_ += count;
    return true;
  }

 private:
  std::ifstream& file_;
  std::uint64_t at_;
  std::uint64_t end_;
};

// A miCOMPRESSED element's zlib stream, inflated as it is read; memory stays at two buffers.
class InflatedBytes final : public ByteStream {
 public:
  InflatedBytes(std::ifstream& file, std::uint64_t begin, std::uint64_t size)
      : file_(file), next_(begin), left_(size) {
    if (inflateInit(&stream_) != Z_OK) throw std::runtime_error("zlib: inflateInit failed");
  }
  ~InflatedBytes() override { inflateEnd(&stream_); }
  InflatedBytes(const InflatedBytes&) = delete;
  InflatedBytes& operator=(const InflatedBytes&) = delete;

  bool read(unsigned char* out, std::size_t count) override { return produce(out, count); }

  bool skip(std::uint64_t count) override {
    while (count > 0) {
      const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(count, scratch_.size()));
      if (!produce(scratch_.data(), step)) return false;
      count -= step;
    }
    return true;
  }

 private:
  bool produce(unsigned char* out, std::size_t count) {
    stream_.next_out = out;
    stream_.avail_out = static_cast<uInt>(count);
    while (stream_.avail_out > 0) {
      if (stream_.avail_in == 0) {
        if (left_ == 0) return false;
        const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(left_, input_.size()));
        file_.clear();
        file_.seekg(static_cast<std::streamoff>(next_));
        if (!file_.read(reinterpret_cast<char*>(input_.data()),
                        static_cast<std::streamsize>(step))) {
          return false;
        }
        next_ += step;
        left_ -= step;
        stream_.next_in = input_.data();
        stream_.avail_in = static_cast<uInt>(step);
      }
      const int status = inflate(&stream_, Z_NO_FLUSH);
      if (status == Z_STREAM_END) return stream_.avail_out == 0;
      if (status != Z_OK) return false;
    }
    return true;
  }

  std::ifstream& file_;
  std::uint64_t next_;
  std::uint64_t left_;
  z_stream stream_{};
  std::array<unsigned char, 16384> input_{};
  std::array<unsigned char, 16384> scratch_{};
};

// A data element's tag. A small element (at most 4 bytes) keeps its data in the tag.
struct Tag {
  std::uint32_t type = 0;
  std::uint64_t bytes = 0;
  bool small = false;
  std::array<unsigned char, 4> data{};
};

// What a cell or struct array holds: one array per cell, or one per element and field.
enum class Container { cells, struct_fields };

// Walks one variable's arrays depth-first, in file order, checking every count against the
// bytes left in the element that holds it.
class ArrayWalker {
 public:
  ArrayWalker(ByteStream& in, bool big_endian, std::string where)
      : in_(in), big_endian_(big_endian), where_(std::move(where)) {}

  // The contents of a miMATRIX element of `bytes` bytes; the stream ends up past them.
  void matrix(std::uint64_t bytes, int depth) {
    if (bytes == 0) return;  // an empty cell
    if (depth > kMaxDepth) fail("nests arrays more than " + std::to_string(kMaxDepth) + " deep");
    std::uint64_t left = bytes;
    const Tag flags = next_tag(left);
    if (flags.type != kMiUint32 || flags.small || flags.bytes != 8) {
      fail("an array without its array flags");
    }
    std::array<unsigned char, 8> flag_bytes{};
    read(flag_bytes.data(), 8, left);
    const std::uint32_t array_class = word(flag_bytes.data(), big_endian_) & 0xFF;
    const std::uint64_t count = dimensions(left);
    skip_element(next_tag(left), left);  // the name
    if (array_class == kCellClass) {
      children(count, 1, left, depth, Container::cells);
    } else if (array_class == kStructClass || array_class == kObjectClass) {
      if (array_class == kObjectClass) skip_element(next_tag(left), left);  // the class name
      // The field name length: a small element as MATLAB writes it, or a padded one.
      Tag name_length = next_tag(left);
      if (name_length.type != kMiInt32 || name_length.bytes != 4) {
        fail("a struct without its field name length");
      }
      if (!name_length.small) {
        std::array<unsigned char, 8> value{};
        read(value.data(), 8, left);
        std::copy(value.begin(), value.begin() + 4, name_length.data.begin());
      }
      const std::uint64_t length = word(name_length.data.data(), big_endian_);
      const Tag names = next_tag(left);
      if (names.type != kMiInt8 || (length == 0 ? names.bytes != 0 : names.bytes % length != 0)) {
        fail("a struct whose field names do not divide into names of " + std::to_string(length) +
             " bytes");
      }
      skip_element(names, left);
      const std::uint64_t fields = length == 0 ? 0 : names.bytes / length;
      children(count, fields, left, depth, Container::struct_fields);
    } else {
      // Data subelements (a numeric or char array's real and imaginary parts, a sparse array's
      // indices and values): libmatio allocates each at its byte count, so each must fit here;
      // a numeric or char array's first one must hold its elements.
      const bool holds_elements = array_class == kCharClass || (array_class >= kFirstNumericClass &&
                                                                array_class <= kLastNumericClass);
      const bool sparse = array_class == kSparseClass;
      int index = 0;
      for (; left >= 8; ++index) {
        const Tag data = next_tag(left);
        // libmatio reads a sparse array's row and column indices (its first two subelements)
        // as byte count / 4 values of the stored type: only 4-byte integers keep it in step
        // with the file. Another type sends it reading tags from inside the data, where any
        // word becomes a byte count it allocates (4 GB from a 368-byte file).
        if (sparse && index < 2 && data.type != kMiInt32 && data.type != kMiUint32) {
          fail(std::string("a sparse array whose ") + (index == 0 ? "row" : "column") +
               " indices are not 32-bit integers (data type " + std::to_string(data.type) + ")");
        }
        if (index == 0 && holds_elements && count > 0) {
          const std::uint64_t element = data_type_bytes(data.type);
          if (element == 0 || count > data.bytes / element) {
            fail("an array of " + std::to_string(count) + " elements stored in " +
                 std::to_string(data.bytes) + " bytes");
          }
        }
        skip_element(data, left);
      }
      // libmatio reads the indices and the values whether or not they are there, from the
      // bytes that follow the array.
      if (sparse && index < 3) {
        fail("a sparse array without its row indices, column indices and values");
      }
    }
    if (!in_.skip(left)) fail("ends early");
  }

  [[noreturn]] void fail(const std::string& what) const { throw InputError(where_ + ": " + what); }

  Tag next_tag(std::uint64_t& left) {
    std::array<unsigned char, 8> bytes{};
    read(bytes.data(), 8, left);
    Tag tag;
    const std::uint32_t first = word(bytes.data(), big_endian_);
    if ((first >> 16) != 0) {
      tag.small = true;
      tag.type = first & 0xFFFF;
      tag.bytes = first >> 16;
      if (tag.bytes > 4) fail("a small data element of " + std::to_string(tag.bytes) + " bytes");
      std::copy(bytes.begin() + 4, bytes.end(), tag.data.begin());
    } else {
      tag.type = first;
      tag.bytes = word(bytes.data() + 4, big_endian_);
      if (padded(tag.bytes) > left) {
        fail("an element of " + std::to_string(tag.bytes) + " bytes where " + std::to_string(left) +
             " remain");
      }
    }
    return tag;
  }

 private:
  void read(unsigned char* out, std::size_t count, std::uint64_t& left) {
    if (count > left || !in_.read(out, count)) fail("ends early");
    left -= count;
  }

  void skip_element(const Tag& tag, std::uint64_t& left) {
    if (tag.small) return;
    const std::uint64_t bytes = padded(tag.bytes);
    if (!in_.skip(bytes)) fail("ends early");
    left -= bytes;
  }

  // The element count of the dimensions that follow (saturating at 2^64 - 1).
  std::uint64_t dimensions(std::uint64_t& left) {
    const Tag tag = next_tag(left);
    if (tag.type != kMiInt32 || tag.bytes % 4 != 0 || tag.bytes == 0) {
      fail("an array without its dimensions");
    }
    if (tag.bytes > kMaxDimensionBytes) {
      fail("an array of " + std::to_string(tag.bytes / 4) + " dimensions");
    }
    std::vector<unsigned char> bytes(static_cast<std::size_t>(padded(tag.bytes)));
    if (tag.small) {
      std::copy(tag.data.begin(), tag.data.end(), bytes.begin());
    } else {
      read(bytes.data(), bytes.size(), left);
    }
    std::uint64_t count = 1;
    for (std::uint64_t d = 0; d < tag.bytes / 4; ++d) {
      const auto extent = static_cast<std::int32_t>(word(bytes.data() + 4 * d, big_endian_));
      if (extent < 0) fail("an array with a negative dimension (" + std::to_string(extent) + ")");
      const auto size = static_cast<std::uint64_t>(extent);
      count = size != 0 && count > std::numeric_limits<std::uint64_t>::max() / size
                  ? std::numeric_limits<std::uint64_t>::max()
                  : count * size;
    }
    return count;
  }

  // `count` elements of `per_element` arrays each, every one at least a tag.
  void children(std::uint64_t count, std::uint64_t per_element, std::uint64_t& left, int depth,
                Container container) {
    const std::string kind = container == Container::cells ? "a cell array" : "a struct array";
    const std::uint64_t arrays = per_element != 0 && count > left / 8 / per_element
                                     ? std::numeric_limits<std::uint64_t>::max()
                                     : count * per_element;
    if (arrays > left / 8) {
      fail(kind + " of " + std::to_string(count) + " elements" +
           (container == Container::struct_fields ? " x " + std::to_string(per_element) + " fields"
                                                  : "") +
           " in " + std::to_string(left) + " bytes (each needs at least 8)");
    }
    for (std::uint64_t i = 0; i < arrays; ++i) {
      const Tag tag = next_tag(left);
      if (tag.type != kMiMatrix || tag.small) fail(kind + " holding something other than arrays");
      matrix(tag.bytes, depth + 1);
      left -= tag.bytes;
      const std::uint64_t padding = padded(tag.bytes) - tag.bytes;
      if (!in_.skip(padding)) fail("ends early");
      left -= padding;
    }
  }

  ByteStream& in_;
  bool big_endian_;
  std::string where_;
};

// Bytes of one element of a v4 precision digit (double, single, int32, int16, uint16, uint8).
constexpr std::uint64_t kV4ElementBytes[] = {8, 4, 4, 2, 2, 1};

// Whether `header` (the first 128 bytes) is a v5 or v7.3 header: a version and an endian mark.
bool has_v5_header(const std::array<std::uint8_t, 128>& header, std::size_t size) {
  if (size < header.size()) return false;
  const bool little = header[126] == 'I' && header[127] == 'M';
  const bool big = header[126] == 'M' && header[127] == 'I';
  const int version = little ? header[124] | header[125] << 8 : header[125] | header[124] << 8;
  return (little || big) && (version == 0x0100 || version == 0x0200);
}

// A v4 file is a run of (20-byte header, name, data) records whose sizes libmatio allocates as
// they come (a 700 MB name length is allocated and read). Each record is checked against the
// file first; a header that does not decode, or points beyond the file, is an InputError.
void check_v4_records(std::ifstream& file, std::uint64_t size, const std::string& where) {
  std::uint64_t offset = 0;
  while (offset < size) {
    std::array<std::uint8_t, 20> bytes{};
    file.seekg(static_cast<std::streamoff>(offset));
    if (size - offset < bytes.size() || !file.read(reinterpret_cast<char*>(bytes.data()), 20)) {
      throw InputError(where + ": a v4 variable header ends at byte " + std::to_string(offset));
    }
    const auto field = [&](std::size_t i, bool big_endian) {
      return word(bytes.data() + 4 * i, big_endian);
    };
    // The type's thousands digit gives the byte order: 0 little endian, 1 big endian.
    const bool big_endian = field(0, false) >= 1000;
    const std::uint32_t type = field(0, big_endian);
    const std::uint32_t precision = type / 10 % 10;
    if (type / 1000 != (big_endian ? 1u : 0u) || type / 100 % 10 != 0 || precision > 5 ||
        type % 10 > 2) {
      throw InputError(where + ": not a MATLAB .mat file (no v5 header, and bytes " +
                       std::to_string(offset) + "- are no v4 variable header)");
    }
    const std::uint64_t parts = field(3, big_endian) != 0 ? 2 : 1;
    const std::uint64_t name = field(4, big_endian);
    // 32-bit counts: their product fits in 64 bits before the element size and parts.
    const std::uint64_t elements = std::uint64_t{field(1, big_endian)} * field(2, big_endian);
    const std::uint64_t remaining = size - offset - bytes.size();
    if (name == 0 || name > remaining ||
        elements > (remaining - name) / kV4ElementBytes[precision] / parts) {
      throw InputError(where + ": the v4 variable at byte " + std::to_string(offset) +
                       " declares more than the file holds");
    }
    offset += bytes.size() + name + elements * kV4ElementBytes[precision] * parts;
  }
}

// One top-level array, plain or compressed: its nested arrays are walked.
void check_v5_variable(std::ifstream& file, std::uint64_t offset, std::uint32_t type,
                       std::uint64_t bytes, bool big_endian, const std::string& where) {
  const std::string variable = where + ", the variable at byte " + std::to_string(offset);
  if (type == kMiMatrix) {
    FileBytes in(file, offset + 8, offset + 8 + bytes);
    ArrayWalker(in, big_endian, variable).matrix(bytes, 0);
    return;
  }
  InflatedBytes in(file, offset + 8, bytes);
  ArrayWalker walker(in, big_endian, variable + " (compressed)");
  const std::uint64_t limit = bytes * detail::kMaxDeflateRatio;
  std::uint64_t left = std::max<std::uint64_t>(limit, 8);
  const Tag inner = walker.next_tag(left);
  if (inner.type != kMiMatrix || inner.small) return;  // libmatio reports what it is
  walker.matrix(inner.bytes, 0);
}

// The top-level data elements of a v5 file (8-byte tag: type, byte count), whose byte counts
// libmatio allocates as it lists or reads the variables: each must end within the file, and
// the arrays nested in a variable must fit in it.
void check_v5_elements(std::ifstream& file, std::uint64_t size, bool big_endian,
                       const std::string& where) {
  std::uint64_t offset = 128;
  while (offset + 8 <= size) {
    std::array<std::uint8_t, 8> tag{};
    file.clear();
    file.seekg(static_cast<std::streamoff>(offset));
    if (!file.read(reinterpret_cast<char*>(tag.data()), 8)) break;
    const std::uint32_t type = word(tag.data(), big_endian);
    if ((type >> 16) != 0) {  // a small element: its data sits in the tag
      offset += 8;
      continue;
    }
    const std::uint64_t bytes = word(tag.data() + 4, big_endian);
    if (bytes > size - offset - 8) {
      throw InputError(where + ": the variable at byte " + std::to_string(offset) + " declares " +
                       std::to_string(bytes) + " bytes, more than the file holds");
    }
    if (type == kMiMatrix || type == kMiCompressed) {
      check_v5_variable(file, offset, type, bytes, big_endian, where);
    }
    // miCOMPRESSED elements are not padded.
    offset += 8 + (type == kMiCompressed ? bytes : padded(bytes));
  }
}

}  // namespace

void prescan_mat_file(const std::filesystem::path& path) {
  std::error_code error;
  const std::uint64_t size = std::filesystem::file_size(path, error);
  if (error) throw IoError("cannot read " + path.string() + ": " + error.message());
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open " + path.string());
  std::array<std::uint8_t, 128> header{};
  file.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(header.size()));
  file.clear();
  if (has_v5_header(header, size)) {
    const bool v73 =
        (header[124] == 2 && header[125] == 0) || (header[124] == 0 && header[125] == 2);
    if (v73) {
      prescan_hdf5_file(path);
    } else {
      check_v5_elements(file, size, header[126] == 'M', path.string());
    }
    return;
  }
  check_v4_records(file, size, path.string());
}

}  // namespace brainalign::io
