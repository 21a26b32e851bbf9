#include "brainalign/io/npz.h"

#include <limits>
#include <optional>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/zip.h"

namespace brainalign::io {
namespace {

constexpr std::string_view kSuffix = ".npy";

template <class T>
std::vector<std::uint8_t> encode_numbers(const std::vector<T>& values,
                                         const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  for (std::size_t extent : shape) {
    if (extent != 0 && count > std::numeric_limits<std::size_t>::max() / extent) {
      throw InputError("npz member shape overflows");
    }
    count *= extent;
  }
  if (count != values.size()) {
    throw InputError("npz member has " + std::to_string(values.size()) +
                     " values but its shape holds " + std::to_string(count));
  }
  return encode_npy(values.data(), shape);
}

}  // namespace

std::vector<std::uint8_t> encode_npy(const NpyMember& member) {
  return std::visit(
      [&](const auto& values) -> std::vector<std::uint8_t> {
        using Values = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<Values, std::vector<std::string>>) {
          return encode_npy_strings(values, member.shape);
        } else {
          return encode_numbers(values, member.shape);
        }
      },
      member.values);
}

std::vector<std::pair<std::string, NpyArray>> read_npz(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::string reason;
  const std::optional<ZipReader> archive = ZipReader::open(path, reason);
  if (!archive) throw InputError(source + ": not a readable .npz (zip) archive: " + reason);
  std::vector<std::pair<std::string, NpyArray>> members;
  for (std::size_t i = 0; i < archive->entries(); ++i) {
    const std::optional<std::string> entry = archive->name(i);
    if (!entry) throw InputError(source + ": cannot read the name of member " + std::to_string(i));
    const std::string& name = *entry;
    if (!name.empty() && name.back() == '/') continue;  // a folder entry holds no array
    const std::string where = source + ", member '" + name + "'";
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) {
      throw InputError(where + ": expected only '<name>.npy' members in an .npz archive");
    }
    members.emplace_back(name.substr(0, name.size() - kSuffix.size()),
                         parse_npy(archive->read(i), where));
  }
  return members;
}

void write_npz(const std::filesystem::path& path,
               const std::vector<std::pair<std::string, NpyMember>>& members, bool compress) {
  const std::string target = path.string();
  std::set<std::string> names;
  std::vector<std::vector<std::uint8_t>> encoded;
  encoded.reserve(members.size());
  for (const auto& [name, member] : members) {
    if (name.empty() || !names.insert(name).second) {
      throw InputError("cannot write " + target + ": member name '" + name +
                       "' is empty or repeated");
    }
    try {
      encoded.push_back(encode_npy(member));
    } catch (const InputError& error) {
      throw InputError("cannot write " + target + ", member '" + name + "': " + error.what());
    }
  }

  if (members.empty()) {
    // libzip writes no file for an empty archive; np.savez() writes an end-of-directory record.
    const std::string empty_zip = std::string("PK\x05\x06", 4) + std::string(18, '\0');
    write_file_atomically(path, empty_zip);
    return;
  }
  AtomicFile file(path);
  ZipWriter archive(file.temporary_path(), target);
  for (std::size_t i = 0; i < members.size(); ++i) {
    archive.add(members[i].first + std::string(kSuffix), encoded[i], compress);
  }
  archive.finish();  // reads the buffers, so `encoded` must outlive it
  file.commit();
}

}  // namespace brainalign::io
