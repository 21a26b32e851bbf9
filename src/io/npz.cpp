#include "brainalign/io/npz.h"

#include <zip.h>

#include <limits>
#include <memory>
#include <optional>
#include <set>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/zip.h"

namespace brainalign::io {
namespace {

constexpr std::string_view kSuffix = ".npy";

// The archive write_npz builds; discarded (nothing written) unless zip_close succeeded.
struct ArchiveCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
using Archive = std::unique_ptr<zip_t, ArchiveCloser>;

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

std::string archive_error_text(zip_t* archive) {
  return zip_error_strerror(zip_get_error(archive));
}

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
  int error_code = 0;
  Archive archive(zip_open(file.temporary_path().c_str(), ZIP_CREATE | ZIP_EXCL, &error_code));
  if (!archive) {
    throw IoError("cannot create " + file.temporary_path().string() + ": " +
                  zip_error_text(error_code));
  }
  const auto fail = [&](const std::string& what) {
    throw IoError("cannot write " + target + ": " + what + ": " +
                  archive_error_text(archive.get()));
  };
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::string entry = members[i].first + std::string(kSuffix);
    zip_source_t* source =
        zip_source_buffer(archive.get(), encoded[i].data(), encoded[i].size(), 0);
    if (source == nullptr) fail("cannot buffer member '" + entry + "'");
    const zip_int64_t index =
        zip_file_add(archive.get(), entry.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(source);
      fail("cannot add member '" + entry + "'");
    }
    const zip_int32_t method = compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
    if (zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), method, 0) != 0) {
      fail("cannot set the compression of member '" + entry + "'");
    }
  }
  // zip_close reads the buffers, so `encoded` must outlive it.
  if (zip_close(archive.get()) != 0) fail("cannot finish the archive");
  archive.release();
  file.commit();
}

}  // namespace brainalign::io
