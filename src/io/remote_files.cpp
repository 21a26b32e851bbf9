#include "brainalign/io/remote_files.h"

#include <cstdlib>
#include <fstream>

#include "brainalign/io/atomic_file.h"
#include "brainalign/io/download.h"

namespace brainalign::io {
namespace fs = std::filesystem;
namespace {

// A file downloaded without a pinned checksum keeps the one it had the first time here.
fs::path recorded_checksum_path(const fs::path& file) {
  fs::path record = file;
  record += ".sha256";
  return record;
}

}  // namespace

fs::path user_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return fs::path(xdg) / "brainalign";
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".cache" / "brainalign";
  return fs::path(".brainalign");
}

std::int64_t missing_bytes(const std::vector<RemoteFile>& files, const fs::path& root) {
  std::int64_t bytes = 0;
  for (const auto& file : files) {
    if (fs::exists(root / file.path)) continue;
    bytes = bytes < 0 || file.size < 0 ? -1 : bytes + file.size;
  }
  return bytes;
}

void fetch_remote_files(const std::vector<RemoteFile>& files, const fs::path& root,
                        const std::string& stage, const std::string& mirror_prefix,
                        const FetchOptions& options) {
  std::string mirror = options.mirror;
  if (const char* env = std::getenv("BRAINALIGN_MIRROR"); mirror.empty() && env != nullptr) {
    mirror = env;
  }
  while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
  if (!mirror.empty() && !mirror_prefix.empty()) mirror += "/" + mirror_prefix;

  Downloader downloader;
  const auto url_of = [&](const RemoteFile& file) {
    return mirror.empty() ? file.url : mirror + "/" + file.path;
  };
  if (options.before_download) {
    int missing = 0;
    std::int64_t bytes = 0;
    for (const auto& file : files) {
      if (fs::exists(root / file.path)) continue;
      ++missing;
      const std::int64_t size =
          file.size >= 0 ? file.size : downloader.content_length(url_of(file));
      bytes = size < 0 || bytes < 0 ? -1 : bytes + size;
    }
    if (missing > 0) options.before_download(stage, missing, bytes);
  }
  const int total = static_cast<int>(files.size());
  int done = 0;
  if (options.progress) options.progress(stage, 0, total);
  for (const auto& file : files) {
    const fs::path destination = root / file.path;
    if (!fs::exists(destination)) {
      DownloadOptions download;
      download.expected_sha256 = file.sha256;
      const fs::path record = recorded_checksum_path(destination);
      if (download.expected_sha256.empty() && fs::exists(record)) {
        std::ifstream in(record);
        in >> download.expected_sha256;
      }
      const std::string url = url_of(file);
      const std::string digest = downloader.download(url, destination, download);
      if (file.sha256.empty()) {
        if (!fs::exists(record)) write_file_atomically(record, digest + "\n");
        if (options.note) {
          options.note(file.path + ": no pinned checksum; sha256 " + digest + " (recorded in " +
                       record.string() + ")");
        }
      }
    }
    if (options.progress) options.progress(stage, ++done, total);
  }
}

}  // namespace brainalign::io
