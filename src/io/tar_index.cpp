#include "brainalign/io/tar_index.h"

#include <algorithm>

#include "brainalign/base/error.h"

namespace brainalign::io {
namespace {

constexpr std::size_t kBlock = 512;

std::uint64_t round_up(std::uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// A NUL-terminated (or full-width) text field.
std::string text_field(const std::string& header, std::size_t at, std::size_t width) {
  const std::string field = header.substr(at, width);
  return field.substr(0, field.find('\0'));
}

// A numeric field: octal digits (spaces or NULs around them), or GNU's base-256 form (first
// byte 0x80) for sizes of 8 GiB and more. nullopt-like -1 for a field that is neither.
std::int64_t number_field(const std::string& header, std::size_t at, std::size_t width) {
  const auto first = static_cast<unsigned char>(header[at]);
  if (first == 0x80) {
    std::uint64_t value = 0;
    for (std::size_t i = 1; i < width; ++i) {
      if (value >> 55) return -1;  // beyond what the archive could hold
      value = value << 8 | static_cast<unsigned char>(header[at + i]);
    }
    return static_cast<std::int64_t>(value);
  }
  std::int64_t value = 0;
  bool digits = false;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = header[at + i];
    if (c >= '0' && c <= '7') {
      if (value >> 58) return -1;
      value = value * 8 + (c - '0');
      digits = true;
    } else if (c == ' ' || c == '\0') {
      if (digits) break;
    } else {
      return -1;
    }
  }
  return digits ? value : -1;
}

bool all_zero(const std::string& block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

// Whether the header's checksum field matches its bytes (the field itself counted as spaces).
bool checksum_matches(const std::string& header) {
  const std::int64_t stored = number_field(header, 148, 8);
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return stored == sum;
}

// The "path" and "size" of a pax extended header's records ("<length> <key>=<value>\n").
void read_pax(const std::string& records, std::string& path, std::int64_t& size,
              const std::string& where) {
  std::size_t at = 0;
  while (at < records.size() && records[at] != '\0') {
    const std::size_t space = records.find(' ', at);
    if (space == std::string::npos) throw InputError(where + ": a pax record has no length");
    std::uint64_t length = 0;
    for (std::size_t i = at; i < space; ++i) {
      if (records[i] < '0' || records[i] > '9' || length > records.size()) {
        throw InputError(where + ": a pax record's length is not a number");
      }
      length = length * 10 + static_cast<std::uint64_t>(records[i] - '0');
    }
    if (length <= space - at + 1 || at + length > records.size() ||
        records[at + length - 1] != '\n') {
      throw InputError(where + ": a pax record is cut short");
    }
    const std::string record = records.substr(space + 1, at + length - space - 2);
    const std::size_t equals = record.find('=');
    if (equals != std::string::npos) {
      const std::string key = record.substr(0, equals), value = record.substr(equals + 1);
      if (key == "path") path = value;
      if (key == "size") {
        size = 0;
        for (char c : value) {
          if (c < '0' || c > '9' || size > (std::int64_t{1} << 56)) {
            throw InputError(where + ": the pax size '" + value + "' is not a number");
          }
          size = size * 10 + (c - '0');
        }
      }
    }
    at += length;
  }
}

}  // namespace

std::vector<TarMember> index_tar(
    const std::function<std::string(std::uint64_t offset, std::size_t length)>& read,
    std::uint64_t archive_size, const std::string& source) {
  std::vector<TarMember> members;
  std::string long_path;        // from a GNU 'L' or pax 'x' record, for the next member
  std::int64_t long_size = -1;  // from a pax 'x' record
  std::uint64_t at = 0;
  while (at + kBlock <= archive_size) {
    const std::string where = source + " at byte " + std::to_string(at);
    const std::string header = read(at, kBlock);
    if (header.size() != kBlock) throw InputError(where + ": the archive ends inside a header");
    if (all_zero(header)) break;  // the end-of-archive block
    if (!checksum_matches(header)) {
      throw InputError(where +
                       ": not a tar header (its checksum does not match; a tar archive "
                       "that is not compressed was expected)");
    }
    std::int64_t size = number_field(header, 124, 12);
    if (size < 0) throw InputError(where + ": the header's size field is not a number");
    const char type = header[156];
    const std::uint64_t data = at + kBlock;
    if (static_cast<std::uint64_t>(size) > archive_size - data) {
      throw InputError(where + ": a member of " + std::to_string(size) +
                       " bytes runs past the end of the archive");
    }
    const std::uint64_t next = data + round_up(static_cast<std::uint64_t>(size));
    if (type == 'L' || type == 'x') {
      if (size > (1 << 20))
        throw InputError(where + ": a name record of " + std::to_string(size) + " bytes");
      const std::string record = read(data, static_cast<std::size_t>(size));
      if (record.size() != static_cast<std::size_t>(size)) {
        throw InputError(where + ": the archive ends inside a name record");
      }
      if (type == 'L') {
        long_path = record.substr(0, record.find('\0'));
      } else {
        read_pax(record, long_path, long_size, where);
      }
      at = next;
      continue;
    }
    if (type == '0' || type == '\0' || type == '7') {
      std::string path = long_path;
      if (path.empty()) {
        path = text_field(header, 0, 100);
        if (header.compare(257, 5, "ustar") == 0) {
          const std::string prefix = text_field(header, 345, 155);
          if (!prefix.empty()) path = prefix + "/" + path;
        }
      }
      if (long_size >= 0) size = long_size;
      if (static_cast<std::uint64_t>(size) > archive_size - data) {
        throw InputError(where + ": a member of " + std::to_string(size) +
                         " bytes runs past the end of the archive");
      }
      members.push_back({path, data, static_cast<std::uint64_t>(size)});
      at = data + round_up(static_cast<std::uint64_t>(size));
    } else {
      at = next;  // folders, links, global pax headers: nothing to fetch
    }
    long_path.clear();
    long_size = -1;
  }
  if (at < archive_size && at + kBlock > archive_size) {
    throw InputError(source + " at byte " + std::to_string(at) +
                     ": the archive ends inside a header");
  }
  return members;
}

const TarMember* find_tar_member(const std::vector<TarMember>& members, const std::string& path) {
  for (const auto& member : members) {
    const std::string& name = member.path;
    if (name == path || (name.size() > path.size() &&
                         name.compare(name.size() - path.size(), path.size(), path) == 0 &&
                         name[name.size() - path.size() - 1] == '/')) {
      return &member;
    }
  }
  return nullptr;
}

}  // namespace brainalign::io
