#include "brainalign/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "brainalign/base/error.h"

namespace brainalign::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Unique within the process (counter) and across processes (pid).
std::filesystem::path make_temporary_name(const std::filesystem::path& target) {
  static std::atomic<unsigned long> counter{0};
  std::string name(1, '.');
  name.append(target.filename().string())
      .append(".tmp.")
      .append(std::to_string(::getpid()))
      .append(".")
      .append(std::to_string(counter.fetch_add(1)));
  return target.parent_path() / name;
}

// Writes all of `bytes` to `fd`, retrying short writes.
void write_all(int fd, const std::uint8_t* bytes, std::size_t size,
               const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot write " + path.string() + ": " + errno_text());
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

void sync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open " + path.string() + " to flush it: " + errno_text());
  const int status = ::fsync(fd);
  ::close(fd);
  if (status != 0) throw IoError("cannot flush " + path.string() + ": " + errno_text());
}

// Flushes the folder holding `path`, which makes a rename inside it durable.
void sync_parent(const std::filesystem::path& path) {
  const std::filesystem::path parent =
      path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open " + parent.string() + " to flush it: " + errno_text());
  const int status = ::fsync(fd);
  ::close(fd);
  if (status != 0) throw IoError("cannot flush " + parent.string() + ": " + errno_text());
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target)
    : target_(std::move(target)), temporary_(make_temporary_name(target_)) {
  if (target_.filename().empty()) {
    throw IoError("cannot write to '" + target_.string() + "': not a file name");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::commit() {
  sync_file(temporary_);
  std::error_code error;
  std::filesystem::rename(temporary_, target_, error);
  if (error) {
    throw IoError("cannot rename " + temporary_.string() + " to " + target_.string() + ": " +
                  error.message());
  }
  committed_ = true;
  sync_parent(target_);
}

void AtomicFile::write(std::span<const std::uint8_t> bytes) {
  const int fd = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw IoError("cannot create " + temporary_.string() + ": " + errno_text());
  try {
    write_all(fd, bytes.data(), bytes.size(), target_);
    // Some file systems report a full disk only when the data is flushed.
    if (::fsync(fd) != 0) throw IoError("cannot write " + target_.string() + ": " + errno_text());
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw IoError("cannot write " + target_.string() + ": " + errno_text());
}

void AtomicFile::write(std::string_view text) {
  write(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                      text.size()));
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  write_file_atomically(path, std::span<const std::uint8_t>(
                                  reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace brainalign::io
