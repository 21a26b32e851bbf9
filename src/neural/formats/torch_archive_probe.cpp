#include "torch_archive_probe.h"

#include <zip.h>

#include <cstdint>
#include <memory>

namespace brainalign::neural {
namespace {

constexpr zip_uint64_t kMaxPickleBytes = 64u << 20;

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

// The pickle opcodes that push a string of `text.size()` bytes: BINUNICODE (X, 4-byte length),
// SHORT_BINUNICODE (0x8c, 1-byte length), BINUNICODE8 (0x8d, 8-byte length) and the byte-string
// forms some writers use for keys (SHORT_BINSTRING U, BINSTRING T).
bool has_encoded(std::string_view pickle, std::string_view text, char opcode, int length_bytes) {
  if (length_bytes == 1 && text.size() > 0xff) return false;
  std::string needle(1, opcode);
  const std::uint64_t size = text.size();
  for (int i = 0; i < length_bytes; ++i) {
    needle.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  }
  needle.append(text);
  return pickle.find(needle) != std::string_view::npos;
}

}  // namespace

bool pickle_has_string(std::string_view pickle, std::string_view text) {
  return has_encoded(pickle, text, 'X', 4) || has_encoded(pickle, text, '\x8c', 1) ||
         has_encoded(pickle, text, '\x8d', 8) || has_encoded(pickle, text, 'U', 1) ||
         has_encoded(pickle, text, 'T', 4);
}

TorchArchiveProbe probe_torch_archive(const std::filesystem::path& file) noexcept {
  TorchArchiveProbe probe;
  try {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) return probe;
    int code = 0;
    std::unique_ptr<zip_t, ZipCloser> archive(zip_open(file.c_str(), ZIP_RDONLY, &code));
    if (!archive) return probe;
    probe.is_zip = true;
    const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
    zip_int64_t pickle = -1;
    for (zip_int64_t i = 0; i < count; ++i) {
      const char* name = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), 0);
      if (name == nullptr) continue;
      const std::string_view entry(name);
      const std::size_t slash = entry.find('/');
      if (slash == std::string_view::npos) continue;
      const std::string_view inside = entry.substr(slash + 1);
      if (inside.starts_with("code/") || inside == "constants.pkl") probe.is_torchscript = true;
      if (inside == "data.pkl" && pickle < 0) pickle = i;
    }
    if (pickle < 0) return probe;
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(pickle), 0, &stat) != 0 ||
        (stat.valid & ZIP_STAT_SIZE) == 0 || stat.size > kMaxPickleBytes) {
      return probe;
    }
    std::string bytes(static_cast<std::size_t>(stat.size), '\0');
    zip_file_t* entry = zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(pickle), 0);
    if (entry == nullptr) return probe;
    const zip_int64_t got = zip_fread(entry, bytes.data(), bytes.size());
    const int closed = zip_fclose(entry);
    if (got == static_cast<zip_int64_t>(bytes.size()) && closed == 0) {
      probe.data_pkl = std::move(bytes);
    }
  } catch (...) {
    // A probe never throws; what it could not read stays empty.
  }
  return probe;
}

}  // namespace brainalign::neural
