// HTTP(S) downloads as package managers do them (libcurl): into `<file>.part`, resumed with a
// Range request when a .part is already there, checked against a SHA-256, and only then
// renamed into place, so a file under its final name is always complete and verified.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace brainalign::io {

struct DownloadOptions {
  // Lowercase hex SHA-256 the bytes must have; empty: not verified (the digest is returned so
  // that the caller can record it).
  std::string expected_sha256;
  // Bytes received so far and the total (0 when the server does not say).
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // Only bytes [first_byte, first_byte + length) of the resource (one member of an archive),
  // asked for with Range requests, which the server must then honour; length -1: all of it.
  std::uint64_t first_byte = 0;
  std::int64_t length = -1;
};

// One connection reused across downloads. Only http:// and https:// URLs (and redirects to
// them) are followed.
class Downloader {
 public:
  Downloader();
  ~Downloader();
  Downloader(const Downloader&) = delete;
  Downloader& operator=(const Downloader&) = delete;

  // Downloads `url` to `destination` (parent folders are created) and returns the SHA-256 of
  // its bytes. A resumed download whose checksum does not match is retried once from the
  // start. Throws IoError naming the URL for network and HTTP errors, and for a checksum
  // mismatch, after which neither the file nor its .part remains.
  std::string download(const std::string& url, const std::filesystem::path& destination,
                       const DownloadOptions& options = {});

  // The size the server gives for `url` (a HEAD request, redirects followed), or -1 when it
  // gives none. Throws IoError naming the URL for network and HTTP errors.
  std::int64_t content_length(const std::string& url);

  // Bytes [offset, offset + length) of `url`, by a Range request (fewer only where the resource
  // ends first). Throws IoError naming the URL for network and HTTP errors, and when the server
  // does not honour the range.
  std::string read_range(const std::string& url, std::uint64_t offset, std::size_t length);

 private:
  void* curl_;  // CURL*, kept out of the header
};

// Where download() keeps the bytes received so far: `<destination>.part`.
std::filesystem::path partial_download_path(const std::filesystem::path& destination);

}  // namespace brainalign::io
