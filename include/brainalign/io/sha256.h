// SHA-256 digests (OpenSSL's libcrypto): checksums of downloads and content keys of caches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace brainalign::io {

// Incremental digest: update() any number of times, then hex() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view text);
  // The digest as 64 lowercase hexadecimal digits.
  std::string hex();

 private:
  void* context_;  // EVP_MD_CTX, kept out of the header
};

std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view text);
// The digest of a file's bytes. Throws IoError when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace brainalign::io
