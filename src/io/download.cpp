#include "brainalign/io/download.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <system_error>

#include "brainalign/base/error.h"
#include "brainalign/io/sha256.h"

namespace brainalign::io {
namespace fs = std::filesystem;
namespace {

CURL* as_curl(void* handle) { return static_cast<CURL*>(handle); }

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// State shared with libcurl's callbacks during one transfer.
struct Transfer {
  CURL* curl = nullptr;
  std::FILE* file = nullptr;
  std::uint64_t offset = 0;  // bytes already in the .part when the request was made
  bool ranged = false;       // a part of the resource only: the server must honour the range
  bool checked_status = false;
  bool write_failed = false;
  bool range_refused = false;
  const DownloadOptions* options = nullptr;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  if (!t.checked_status) {
    t.checked_status = true;
    long status = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
    if (t.ranged && status != 206) {
      t.range_refused = true;
      return 0;
    }
    // A server that ignores the Range request sends the whole file again: start over.
    if (t.offset > 0 && status == 200) {
      if (std::fflush(t.file) != 0 || ::ftruncate(::fileno(t.file), 0) != 0) {
        t.write_failed = true;
        return 0;
      }
      std::rewind(t.file);
      t.offset = 0;
    }
  }
  const std::size_t bytes = size * count;
  if (std::fwrite(data, 1, bytes, t.file) != bytes) {
    t.write_failed = true;
    return 0;
  }
  return bytes;
}

int report_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  const auto& t = *static_cast<Transfer*>(user);
  if (t.options->progress) {
    const auto base = t.offset;
    t.options->progress(base + static_cast<std::uint64_t>(now),
                        total > 0 ? base + static_cast<std::uint64_t>(total) : 0);
  }
  return 0;
}

// What every request sets: the URL, http(s) only (also after redirects, which are followed),
// HTTP errors as failures, who asks, and where libcurl writes its message.
void set_request_options(CURL* curl, const std::string& url, char* message) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "brainalign/" BRAINALIGN_VERSION);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

fs::path partial_download_path(const fs::path& destination) {
  fs::path part = destination;
  part += ".part";
  return part;
}

Downloader::Downloader() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw IoError("download: cannot initialise libcurl");
}

Downloader::~Downloader() { curl_easy_cleanup(as_curl(curl_)); }

std::int64_t Downloader::content_length(const std::string& url) {
  CURL* curl = as_curl(curl_);
  curl_easy_reset(curl);
  char message[CURL_ERROR_SIZE] = {0};
  set_request_options(curl, url, message);
  curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    const std::string why = message[0] != '\0' ? message : curl_easy_strerror(code);
    throw IoError("cannot reach " + url + ": " + why);
  }
  curl_off_t length = -1;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK) return -1;
  return length < 0 ? -1 : static_cast<std::int64_t>(length);
}

namespace {

struct RangeRead {
  CURL* curl = nullptr;
  std::string bytes;
  std::size_t limit = 0;
  bool checked_status = false;
  bool range_refused = false;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& r = *static_cast<RangeRead*>(user);
  if (!r.checked_status) {
    r.checked_status = true;
    long status = 0;
    curl_easy_getinfo(r.curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 206) {
      r.range_refused = true;
      return 0;
    }
  }
  const std::size_t bytes = size * count;
  if (r.bytes.size() + bytes > r.limit) return 0;  // more than was asked for
  r.bytes.append(data, bytes);
  return bytes;
}

}  // namespace

std::string Downloader::read_range(const std::string& url, std::uint64_t offset,
                                   std::size_t length) {
  if (length == 0) return {};
  CURL* curl = as_curl(curl_);
  curl_easy_reset(curl);
  char message[CURL_ERROR_SIZE] = {0};
  set_request_options(curl, url, message);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  RangeRead read;
  read.curl = curl;
  read.limit = length;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &read);
  const std::string range = std::to_string(offset) + "-" + std::to_string(offset + length - 1);
  curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  const CURLcode code = curl_easy_perform(curl);
  if (read.range_refused) {
    throw IoError(url +
                  ": the server does not honour Range requests, which reading part of it "
                  "needs");
  }
  if (code != CURLE_OK) {
    const std::string why = message[0] != '\0' ? message : curl_easy_strerror(code);
    throw IoError("cannot read bytes " + range + " of " + url + ": " + why);
  }
  return std::move(read.bytes);
}

std::string Downloader::download(const std::string& url, const fs::path& destination,
                                 const DownloadOptions& options) {
  const fs::path part = partial_download_path(destination);
  if (destination.has_parent_path()) fs::create_directories(destination.parent_path());
  for (int attempt = 0;; ++attempt) {
    std::error_code error;
    auto existing = fs::exists(part) ? fs::file_size(part, error) : 0;
    const bool ranged = options.length >= 0;
    if (ranged && existing > static_cast<std::uint64_t>(options.length)) {
      remove_quietly(part);  // more than the part holds: not a .part of it
      existing = 0;
    }
    File file(std::fopen(part.c_str(), "ab"));
    if (!file) throw IoError("cannot write " + part.string());

    CURL* curl = as_curl(curl_);
    curl_easy_reset(curl);
    Transfer transfer;
    transfer.curl = curl;
    transfer.file = file.get();
    transfer.offset = error ? 0 : existing;
    transfer.ranged = ranged;
    transfer.options = &options;
    char message[CURL_ERROR_SIZE] = {0};
    set_request_options(curl, url, message);
    // Give up on a stalled connection (under 1 byte/s for a minute) rather than hang.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, report_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    // CURLOPT_RANGE rather than RESUME_FROM: a server that ignores the range is not an error
    // here; write_body() starts the file over instead.
    const std::uint64_t from = options.first_byte + transfer.offset;
    const std::string range =
        std::to_string(from) + "-" +
        (ranged
             ? std::to_string(options.first_byte + static_cast<std::uint64_t>(options.length) - 1)
             : std::string());
    const bool complete = ranged && transfer.offset == static_cast<std::uint64_t>(options.length);
    if ((transfer.offset > 0 || ranged) && !complete) {
      curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    }
    const CURLcode code = complete ? CURLE_OK : curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    const bool flushed = std::fflush(file.get()) == 0;
    file.reset();
    if (transfer.range_refused) {
      throw IoError(url +
                    ": the server does not honour Range requests, which downloading one "
                    "member of it needs");
    }
    if (transfer.write_failed || !flushed) {
      throw IoError("cannot write " + part.string() + " while downloading " + url);
    }
    // 416: the .part already holds every byte; its checksum decides below.
    const bool already_complete = complete || (transfer.offset > 0 && !ranged && status == 416);
    if (code != CURLE_OK && !already_complete) {
      const std::string why = message[0] != '\0' ? message : curl_easy_strerror(code);
      // Error pages are not written (FAILONERROR): a .part keeps what it had for the next
      // try, and an empty one is not left behind.
      std::error_code size_error;
      if (fs::file_size(part, size_error) == 0) remove_quietly(part);
      throw IoError("cannot download " + url + ": " + why);
    }
    if (ranged) {
      std::error_code size_error;
      const auto received = fs::file_size(part, size_error);
      if (size_error || received != static_cast<std::uint64_t>(options.length)) {
        throw IoError("cannot download " + url + ": bytes " + range + " came " +
                      std::to_string(size_error ? 0 : received) + " of " +
                      std::to_string(options.length) + " bytes long");
      }
    }

    const std::string digest = sha256_file(part);
    if (options.expected_sha256.empty() || digest == options.expected_sha256) {
      fs::rename(part, destination);
      return digest;
    }
    remove_quietly(part);
    if (transfer.offset > 0 && attempt == 0) continue;  // the old .part may have been bad
    throw IoError("checksum mismatch for " + url + ": got sha256 " + digest + ", expected " +
                  options.expected_sha256 + "; the download was discarded");
  }
}

}  // namespace brainalign::io
