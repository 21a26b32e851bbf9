#include "brainalign/io/remote_files.h"

#include <cstdlib>
#include <fstream>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/download.h"
#include "brainalign/io/json.h"
#include "brainalign/io/sha256.h"
#include "brainalign/io/tar_index.h"

namespace brainalign::io {
namespace fs = std::filesystem;
namespace {

// A file downloaded without a pinned checksum keeps the one it had the first time here.
fs::path recorded_checksum_path(const fs::path& file) {
  fs::path record = file;
  record += ".sha256";
  return record;
}

// The members of the tar archive at `url`, from the index kept in the per-user cache
// (archives/), made from the archive's headers (Range requests) the first time: every file
// fetched from the archive, whatever its root, shares it.
std::vector<TarMember> archive_index(Downloader& downloader, const std::string& url,
                                     const FetchOptions& options) {
  const fs::path kept = user_cache_dir() / "archives" / (sha256_hex(url).substr(0, 16) + ".json");
  if (fs::exists(kept)) {
    const nlohmann::json index = read_json(kept);
    std::vector<TarMember> members;
    try {
      for (const auto& m : index.at("members")) {
        members.push_back({m.at(0).get<std::string>(), m.at(1).get<std::uint64_t>(),
                           m.at(2).get<std::uint64_t>()});
      }
    } catch (const nlohmann::json::exception& e) {
      throw IoError(kept.string() + ": not an archive index (" + e.what() +
                    "); delete it to read the archive's headers again");
    }
    return members;
  }
  const std::int64_t size = downloader.content_length(url);
  if (size < 0) {
    throw IoError(url + ": the server gives no size, which reading the archive's headers needs");
  }
  if (options.note) options.note("reading the headers of " + url + " (its files' places)");
  // One request per header: for an archive of many files this takes a while, so it shows how far
  // into the archive the headers have been read (in thousandths).
  const std::string stage = "read the headers of " + url;
  const auto total = static_cast<std::uint64_t>(size);
  const auto members = index_tar(
      [&](std::uint64_t offset, std::size_t length) {
        if (options.progress)
          options.progress(stage, static_cast<int>(offset * 1000 / total), 1000);
        return downloader.read_range(url, offset, length);
      },
      total, url);
  if (options.progress) options.progress(stage, 1000, 1000);
  nlohmann::json index = {{"url", url}, {"size", size}, {"members", nlohmann::json::array()}};
  for (const auto& m : members) index["members"].push_back({m.path, m.offset, m.size});
  fs::create_directories(kept.parent_path());
  write_file_atomically(kept, index.dump() + "\n");
  return members;
}

// Where a member file's bytes sit in its archive.
TarMember locate_member(Downloader& downloader, const RemoteFile& file,
                        const FetchOptions& options) {
  const auto members = archive_index(downloader, file.url, options);
  const TarMember* member = find_tar_member(members, file.member);
  if (member == nullptr) {
    throw IoError(file.url + " holds no file " + file.member + " (" +
                  std::to_string(members.size()) + " files)");
  }
  return *member;
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
      std::int64_t size = file.size;
      if (size < 0 && !file.member.empty() && mirror.empty()) {
        size = static_cast<std::int64_t>(locate_member(downloader, file, options).size);
      } else if (size < 0) {
        size = downloader.content_length(url_of(file));
      }
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
      if (!file.member.empty() && mirror.empty()) {
        const TarMember member = locate_member(downloader, file, options);
        download.first_byte = member.offset;
        download.length = static_cast<std::int64_t>(member.size);
      }
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
