#include "brainalign/io/npz.h"

#include <zip.h>

#include <memory>

#include "brainalign/error.h"
#include "brainalign/io/atomic_file.h"

namespace brainalign::io {

std::vector<std::pair<std::string, NpyArray>> read_npz(const std::filesystem::path& path) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (!archive) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    const std::string message = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw InputError(path.string() + ": not a readable .npz archive (" + message + ")");
  }
  std::unique_ptr<zip_t, decltype(&zip_discard)> guard(archive, zip_discard);
  std::vector<std::pair<std::string, NpyArray>> members;
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st) != 0)
      throw InputError(path.string() + ": member " + std::to_string(i) + " cannot be read");
    std::string name = st.name;
    if (!name.empty() && name.back() == '/') continue;
    if (!(st.valid & ZIP_STAT_SIZE)) throw InputError(path.string() + ", member '" + name + "': unknown size");
    // A member's declared size is checked against the archive before anything is allocated.
    if (st.size > (zip_uint64_t{1} << 40)) throw InputError(path.string() + ", member '" + name + "': absurd size");
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    if (!file) throw InputError(path.string() + ", member '" + name + "': cannot be opened (" + zip_strerror(archive) + ")");
    std::vector<std::uint8_t> bytes(static_cast<size_t>(st.size));
    const zip_int64_t got = zip_fread(file, bytes.data(), st.size);
    zip_fclose(file);
    if (got < 0 || static_cast<zip_uint64_t>(got) != st.size)
      throw InputError(path.string() + ", member '" + name + "': truncated or corrupt");
    const std::string source = path.string() + ", member '" + name + "'";
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    members.emplace_back(name, parse_npy(bytes, source));
  }
  return members;
}

NpyMember NpyMember::from_doubles(const std::vector<double>& values, const std::vector<std::size_t>& shape) {
  return {encode_npy(values.data(), shape)};
}

NpyMember NpyMember::from_strings(const std::vector<std::string>& values) {
  return {encode_npy_strings(values)};
}

void write_npz(const std::filesystem::path& path,
               const std::vector<std::pair<std::string, NpyMember>>& members, bool compress) {
  AtomicFile out(path);
  int error = 0;
  zip_t* archive = zip_open(out.temporary_path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!archive) throw IoError(out.temporary_path().string() + ": cannot create archive");
  for (const auto& [name, member] : members) {
    zip_source_t* src = zip_source_buffer(archive, member.bytes.data(), member.bytes.size(), 0);
    const zip_int64_t index = src ? zip_file_add(archive, (name + ".npy").c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) : -1;
    if (index < 0) {
      if (src) zip_source_free(src);
      zip_discard(archive);
      throw IoError(path.string() + ": cannot add member '" + name + "'");
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) {
    const std::string message = zip_strerror(archive);
    zip_discard(archive);
    throw IoError(path.string() + ": writing failed (" + message + ")");
  }
  out.commit();
}

}  // namespace brainalign::io
