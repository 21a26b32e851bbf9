#include "torch_archive_probe.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/io/pickle.h"
#include "brainalign/io/zip.h"

namespace brainalign::neural {
namespace {

constexpr std::size_t kMaxPickleBytes = 64u << 20;

// The dict keys of a pickle whatever objects it builds: globals, calls and persistent ids
// (tensor storages) stay opaque, nothing is loaded or run.
std::unordered_set<std::string> pickle_keys(const std::vector<std::uint8_t>& bytes,
                                            const std::string& source) {
  io::PickleRules rules;
  rules.context = "data.pkl";
  rules.bytes = true;
  rules.sets = true;
  rules.opaque_objects = true;
  const std::vector<std::string> keys = io::pickle_dict_keys(io::read_pickle(bytes, source, rules));
  return {keys.begin(), keys.end()};
}

}  // namespace

TorchArchiveProbe probe_torch_archive(const std::filesystem::path& file) noexcept {
  TorchArchiveProbe probe;
  try {
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
    if (!pickle || archive->size(*pickle) > kMaxPickleBytes) return probe;
    probe.keys = pickle_keys(archive->read(*pickle), file.string());
  } catch (...) {
    // A probe never throws (a missing file included); what it could not read stays empty.
  }
  return probe;
}

}  // namespace brainalign::neural
