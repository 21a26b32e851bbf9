#include "brainalign/io/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <system_error>

#include "brainalign/base/error.h"

namespace brainalign::io {
namespace fs = std::filesystem;
namespace {

struct ReaderCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriterCloser {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

// A relative path with no '..' component and nothing above its own root.
bool is_contained(const fs::path& path) {
  if (path.empty() || path.is_absolute() || path.has_root_name() || path.has_root_directory()) {
    return false;
  }
  for (const auto& part : path) {
    if (part == "..") return false;
  }
  return true;
}

// `path` without its first `count` components; empty when nothing is left.
fs::path strip(const fs::path& path, int count) {
  fs::path out;
  int index = 0;
  for (const auto& part : path) {
    if (index++ >= count && part != ".") out /= part;
  }
  return out;
}

// Removes a folder tree when unpacking does not complete.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(fs::path path) : path_(std::move(path)) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    fs::create_directories(path_);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

void unpack_archive(const fs::path& archive, const fs::path& destination, int strip_components) {
  std::unique_ptr<struct archive, ReaderCloser> reader(archive_read_new());
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_all(reader.get());
  if (archive_read_open_filename(reader.get(), archive.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw InputError(archive.string() +
                     ": cannot open archive: " + archive_error_string(reader.get()));
  }
  fs::create_directories(destination);
  TemporaryFolder staging(
      destination / (".unpack." + archive.filename().string() + "." + std::to_string(::getpid())));
  std::unique_ptr<struct archive, WriterCloser> writer(archive_write_disk_new());
  // Entries are written under the (absolute) staging path, so libarchive's absolute-path guard
  // cannot be used; the checks below refuse such entries before anything is written.
  archive_write_disk_set_options(writer.get(),
                                 ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  std::set<fs::path> top_level;
  struct archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      throw InputError(archive.string() +
                       ": corrupt archive: " + archive_error_string(reader.get()));
    }
    const char* raw_name = archive_entry_pathname(entry);
    const fs::path name = raw_name != nullptr ? fs::path(raw_name) : fs::path();
    if (!is_contained(name)) {
      throw InputError(archive.string() + ": refusing entry '" + name.string() +
                       "': absolute path or '..' component");
    }
    for (const char* link : {archive_entry_symlink(entry), archive_entry_hardlink(entry)}) {
      if (link == nullptr) continue;
      const fs::path target(link);
      const bool is_hardlink = link == archive_entry_hardlink(entry);
      const fs::path resolved = is_hardlink ? target : name.parent_path() / target;
      if (!is_contained(resolved.lexically_normal()) || target.is_absolute()) {
        throw InputError(archive.string() + ": refusing link '" + name.string() + "' -> '" +
                         target.string() + "': it points outside the archive");
      }
      if (is_hardlink) {
        const fs::path stripped = strip(target, strip_components);
        archive_entry_set_hardlink(entry, (staging.path() / stripped).c_str());
      }
    }
    const fs::path relative = strip(name, strip_components);
    if (relative.empty()) continue;
    top_level.insert(*relative.begin());
    archive_entry_set_pathname(entry, (staging.path() / relative).c_str());
    if (archive_write_header(writer.get(), entry) != ARCHIVE_OK) {
      throw IoError(archive.string() + ": cannot unpack '" + name.string() +
                    "': " + archive_error_string(writer.get()));
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int read = archive_read_data_block(reader.get(), &block, &size, &offset);
      if (read == ARCHIVE_EOF) break;
      if (read != ARCHIVE_OK) {
        throw InputError(archive.string() + ": corrupt entry '" + name.string() +
                         "': " + archive_error_string(reader.get()));
      }
      if (archive_write_data_block(writer.get(), block, size, offset) != ARCHIVE_OK) {
        throw IoError(archive.string() + ": cannot write '" + name.string() +
                      "': " + archive_error_string(writer.get()));
      }
    }
    if (archive_write_finish_entry(writer.get()) != ARCHIVE_OK) {
      throw IoError(archive.string() + ": cannot finish '" + name.string() +
                    "': " + archive_error_string(writer.get()));
    }
  }
  archive_write_close(writer.get());
  for (const auto& name : top_level) {
    const fs::path target = destination / name;
    std::error_code ignored;
    fs::remove_all(target, ignored);
    fs::rename(staging.path() / name, target);
  }
}

}  // namespace brainalign::io
