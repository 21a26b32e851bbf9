// Public files brainalign downloads (data sets, model checkpoints): each with its pinned source
// and, where one is published, its SHA-256. Files are fetched into a root folder (the data root,
// the models root) under their relative paths: each downloaded to a .part file, resumed with
// HTTP Range requests, verified and only then renamed into place. A file may also be one member
// of a large tar archive, fetched without the rest of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace brainalign::io {

struct RemoteFile {
  std::string path;        // where it goes, relative to the root it is fetched into
  std::string url;         // the pinned public source
  std::string sha256;      // empty: not known in advance; printed and recorded on first download
  std::int64_t size = -1;  // bytes, when known
  // Non-empty: the file is this member of the uncompressed tar archive at `url` (its path in
  // the archive, or the end of it: tar_index.h find_tar_member), downloaded by Range requests
  // for its own bytes. The archive's headers are read once and their index kept in the per-user
  // cache (archives/). From a mirror, the file itself comes from <mirror>/<path>.
  std::string member = {};
};

struct FetchOptions {
  // Base URL serving the per-user cache's layout (<mirror>/<path under the cache>) instead of
  // the pinned sources; empty: $BRAINALIGN_MIRROR, if set.
  std::string mirror;
  std::function<void(const std::string& stage, int done, int total)> progress;
  // Notes for the user, such as the checksum of a file downloaded without a pinned one.
  std::function<void(const std::string& line)> note;
  // Hears, before anything is downloaded, what is about to be: the stage, the number of files
  // and their bytes (-1 when a server does not say); throwing stops the fetch (the command line
  // asks before a large download unless told --yes). Asks the servers for sizes not known in
  // advance (HEAD requests), so only when set.
  std::function<void(const std::string& stage, int files, std::int64_t bytes)> before_download;
};

// The per-user cache: $XDG_CACHE_HOME/brainalign, else ~/.cache/brainalign, else ./.brainalign.
std::filesystem::path user_cache_dir();

// The bytes of `files` missing under `root`: 0 when none is, -1 when a missing file's size is
// not known in advance.
std::int64_t missing_bytes(const std::vector<RemoteFile>& files, const std::filesystem::path& root);

// Downloads each of `files` that is missing under `root`, reporting progress as `stage`. A file
// without a pinned checksum is verified against the one recorded next to it (<file>.sha256) at
// its first download, and the note says so. With a mirror, a file comes from
// <mirror>/<mirror_prefix>/<path> (`mirror_prefix`: where `root` sits in the cache's layout,
// empty for the data root). Throws IoError naming the URL for network, HTTP and checksum
// failures; a file is never left under its final name unless complete and verified.
void fetch_remote_files(const std::vector<RemoteFile>& files, const std::filesystem::path& root,
                        const std::string& stage, const std::string& mirror_prefix,
                        const FetchOptions& options);

}  // namespace brainalign::io
