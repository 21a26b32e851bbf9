#include "brainalign/features/feature_cache.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "brainalign/io/atomic_file.h"
#include "brainalign/io/remote_files.h"
#include "brainalign/io/sha256.h"

namespace brainalign::features {
namespace fs = std::filesystem;
namespace {

// Entry layout (little-endian): magic, key (64 hex), layer count (u32), per layer: name
// length (u32), name, rows (u64), cols (u64), rows * cols doubles; then the SHA-256 (64 hex)
// of everything before it.
constexpr std::string_view kMagic = "brainalign-features 1\n";
constexpr std::size_t kDigestSize = 64;

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// Sequential reads that fail (return false) instead of running past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  bool get(T& value) {
    if (bytes_.size() - at_ < sizeof(T)) return false;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  bool get(std::string_view& text, std::size_t size) {
    if (bytes_.size() - at_ < size) return false;
    text = bytes_.substr(at_, size);
    at_ += size;
    return true;
  }
  bool at_end() const { return at_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace

fs::path default_feature_cache_dir() {
  if (const char* env = std::getenv("BRAINALIGN_CACHE"); env && *env) return fs::path(env);
  return io::user_cache_dir() / "features";
}

FeatureCache::FeatureCache(fs::path dir) : dir_(std::move(dir)) {}

std::string FeatureCache::key(const std::string& model, const std::string& weights_id,
                              Pooling pooling, const std::string& audio_sha256) {
  // The library version is part of the key: a front end's numbers may change between versions.
  return io::sha256_hex("model=" + model + "\nweights=" + weights_id +
                        "\npool=" + to_string(pooling) + "\naudio=" + audio_sha256 +
                        "\nversion=" BRAINALIGN_VERSION "\n");
}

fs::path FeatureCache::entry_path(const std::string& model, const std::string& key) const {
  return dir_ / model / (key + ".feat");
}

std::optional<PooledLayers> FeatureCache::load(const std::string& model, const std::string& key,
                                               const std::vector<std::string>& layers) const {
  std::ifstream in(entry_path(model, key), std::ios::binary);
  if (!in) return std::nullopt;
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < kMagic.size() + kDigestSize) return std::nullopt;
  const std::string_view body(bytes.data(), bytes.size() - kDigestSize);
  if (io::sha256_hex(body) != std::string_view(bytes).substr(body.size())) return std::nullopt;

  Reader reader(body);
  std::string_view magic, stored_key;
  std::uint32_t count = 0;
  if (!reader.get(magic, kMagic.size()) || magic != kMagic || !reader.get(stored_key, 64) ||
      stored_key != key || !reader.get(count) || count != layers.size()) {
    return std::nullopt;
  }
  PooledLayers out;
  for (const auto& expected : layers) {
    std::uint32_t name_size = 0;
    std::string_view name;
    std::uint64_t rows = 0, cols = 0;
    if (!reader.get(name_size) || !reader.get(name, name_size) || name != expected ||
        !reader.get(rows) || !reader.get(cols)) {
      return std::nullopt;
    }
    std::string_view data;
    if (cols != 0 && rows > body.size() / 8 / cols) return std::nullopt;
    if (!reader.get(data, rows * cols * 8)) return std::nullopt;
    Matrix values(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    std::memcpy(values.data(), data.data(), data.size());
    out.emplace_back(expected, std::move(values));
  }
  if (!reader.at_end()) return std::nullopt;
  return out;
}

void FeatureCache::store(const std::string& model, const std::string& key,
                         const PooledLayers& layers) const {
  std::string bytes(kMagic);
  bytes += key;
  put(bytes, static_cast<std::uint32_t>(layers.size()));
  for (const auto& [name, values] : layers) {
    put(bytes, static_cast<std::uint32_t>(name.size()));
    bytes += name;
    put(bytes, static_cast<std::uint64_t>(values.rows()));
    put(bytes, static_cast<std::uint64_t>(values.cols()));
    bytes.append(reinterpret_cast<const char*>(values.data()),
                 static_cast<std::size_t>(values.size()) * sizeof(double));
  }
  bytes += io::sha256_hex(bytes);
  const fs::path path = entry_path(model, key);
  fs::create_directories(path.parent_path());
  io::write_file_atomically(path, bytes);
}

}  // namespace brainalign::features