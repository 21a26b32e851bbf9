// Where the files of an uncompressed tar archive sit, read from its headers alone: with it one
// member of a large remote archive is downloaded by a Range request for its own bytes
// (remote_files.h), not the whole archive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace brainalign::io {

struct TarMember {
  std::string path;          // as the archive names it
  std::uint64_t offset = 0;  // of its first byte in the archive
  std::uint64_t size = 0;    // bytes
};

// The regular files of a tar archive of `archive_size` bytes, in archive order, from its
// headers, which `read(offset, length)` supplies (exactly `length` bytes). Reads only headers
// and the records that name a member: ustar names with their prefix, GNU long names ('L') and
// pax records ('x': path, size); stops at the end-of-archive block. `source` names the archive
// in errors: InputError for a block that is not a tar header (its checksum), a size beyond the
// archive, or a name record that is cut short.
std::vector<TarMember> index_tar(
    const std::function<std::string(std::uint64_t offset, std::size_t length)>& read,
    std::uint64_t archive_size, const std::string& source);

// The member whose path is `path` or ends with "/" + `path` (the archive's top folders, and a
// leading "./", may differ), or nullptr; the first such member when several are.
const TarMember* find_tar_member(const std::vector<TarMember>& members, const std::string& path);

}  // namespace brainalign::io
