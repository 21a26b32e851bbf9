#include "torch_archive_probe.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "brainalign/io/zip.h"

namespace brainalign::neural {
namespace {

constexpr std::size_t kMaxPickleBytes = 64u << 20;

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
    std::string reason;
    // Cheap: no consistency check of the central directory against the local headers.
    const std::optional<io::ZipReader> archive = io::ZipReader::open(file, reason, false);
    if (!archive) return probe;
    probe.is_zip = true;
    std::optional<std::size_t> pickle;
    for (std::size_t i = 0; i < archive->entries(); ++i) {
      const std::optional<std::string> name = archive->name(i);
      if (!name) continue;
      const std::string_view entry(*name);
      const std::size_t slash = entry.find('/');
      if (slash == std::string_view::npos) continue;
      const std::string_view inside = entry.substr(slash + 1);
      if (inside.starts_with("code/") || inside == "constants.pkl") probe.is_torchscript = true;
      if (inside == "data.pkl" && !pickle) pickle = i;
    }
    if (!pickle) return probe;
    const std::size_t size = archive->size(*pickle);
    if (size > kMaxPickleBytes) return probe;
    std::string bytes(size, '\0');
    archive->read_into(*pickle, bytes.data(), bytes.size());
    probe.data_pkl = std::move(bytes);
  } catch (...) {
    // A probe never throws; what it could not read stays empty.
  }
  return probe;
}

}  // namespace brainalign::neural
