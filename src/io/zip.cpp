#include "brainalign/io/zip.h"

#include <zip.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "brainalign/base/error.h"
#include "deflate_bound.h"

namespace brainalign::io {
namespace {

std::string error_text(zip_error_t& error) {
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

}  // namespace

std::optional<ZipReader> ZipReader::open(const std::filesystem::path& path, std::string& reason,
                                         bool check_consistency) {
  const std::string source = path.string();
  std::error_code status;
  if (!std::filesystem::is_regular_file(path, status)) {
    throw IoError("cannot read " + source + ": not an existing file");
  }
  const std::uintmax_t size = std::filesystem::file_size(path, status);
  if (status) throw IoError("cannot read " + source + ": " + status.message());
  int code = 0;
  zip_t* archive =
      zip_open(path.c_str(), ZIP_RDONLY | (check_consistency ? ZIP_CHECKCONS : 0), &code);
  if (archive == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    reason = error_text(error);
    return std::nullopt;
  }
  return ZipReader(archive, source, size);
}

std::optional<ZipReader> ZipReader::open(std::span<const std::uint8_t> bytes, std::string source,
                                         std::string& reason) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (buffer == nullptr) {
    reason = error_text(error);
    return std::nullopt;
  }
  zip_t* archive = zip_open_from_source(buffer, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    reason = error_text(error);
    return std::nullopt;
  }
  zip_error_fini(&error);
  return ZipReader(archive, std::move(source), bytes.size());
}

ZipReader::ZipReader(zip_t* archive, std::string source, std::uint64_t archive_size)
    : archive_(archive), source_(std::move(source)), archive_size_(archive_size) {}

ZipReader::ZipReader(ZipReader&& other) noexcept
    : archive_(std::exchange(other.archive_, nullptr)),
      source_(std::move(other.source_)),
      archive_size_(other.archive_size_) {}

ZipReader& ZipReader::operator=(ZipReader&& other) noexcept {
  if (this != &other) {
    if (archive_ != nullptr) zip_discard(archive_);
    archive_ = std::exchange(other.archive_, nullptr);
    source_ = std::move(other.source_);
    archive_size_ = other.archive_size_;
  }
  return *this;
}

ZipReader::~ZipReader() {
  if (archive_ != nullptr) zip_discard(archive_);  // read-only: nothing to write back
}

std::size_t ZipReader::entries() const {
  const zip_int64_t count = zip_get_num_entries(archive_, 0);
  return count < 0 ? 0 : static_cast<std::size_t>(count);
}

std::optional<std::string> ZipReader::name(std::size_t index) const {
  const char* raw = zip_get_name(archive_, index, ZIP_FL_ENC_GUESS);
  if (raw == nullptr) return std::nullopt;
  return std::string(raw);
}

std::optional<std::size_t> ZipReader::find(const std::string& entry) const {
  const zip_int64_t found = zip_name_locate(archive_, entry.c_str(), 0);
  if (found < 0) return std::nullopt;
  return static_cast<std::size_t>(found);
}

std::string ZipReader::entry_name(std::size_t index) const {
  const auto entry = name(index);
  return entry ? "entry '" + *entry + "'" : "entry " + std::to_string(index);
}

std::size_t ZipReader::size(std::size_t index) const {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive_, index, 0, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0 ||
      (stat.valid & ZIP_STAT_COMP_SIZE) == 0) {
    throw InputError(source_ + ": " + entry_name(index) + " does not record its size");
  }
  const bool stored = (stat.valid & ZIP_STAT_COMP_METHOD) != 0 && stat.comp_method == ZIP_CM_STORE;
  const std::uint64_t compressed = std::min<std::uint64_t>(stat.comp_size, archive_size_);
  const bool plausible =
      stat.comp_size <= archive_size_ &&
      (stored ? stat.size <= compressed : stat.size / detail::kMaxDeflateRatio <= compressed + 1);
  if (!plausible || stat.size > std::numeric_limits<std::size_t>::max()) {
    throw InputError(source_ + ": " + entry_name(index) + " claims " + std::to_string(stat.size) +
                     " bytes from " + std::to_string(stat.comp_size) +
                     " compressed bytes, more than the archive can hold");
  }
  return static_cast<std::size_t>(stat.size);
}

void ZipReader::read_into(std::size_t index, void* out, std::size_t size) const {
  if (size == 0) return;
  zip_file_t* file = zip_fopen_index(archive_, index, 0);
  if (file == nullptr) {
    throw InputError(source_ + ": cannot open " + entry_name(index) + ": " +
                     zip_error_strerror(zip_get_error(archive_)));
  }
  std::size_t filled = 0;
  zip_int64_t got = 0;
  auto* bytes = static_cast<std::uint8_t*>(out);
  while (filled < size && (got = zip_fread(file, bytes + filled, size - filled)) > 0) {
    filled += static_cast<std::size_t>(got);
  }
  const int closed = zip_fclose(file);  // reports a CRC mismatch
  if (got < 0 || filled != size || closed != 0) {
    throw InputError(source_ + ": " + entry_name(index) + " is truncated or corrupt (" +
                     std::to_string(filled) + " of " + std::to_string(size) + " bytes read)");
  }
}

std::vector<std::uint8_t> ZipReader::read(std::size_t index) const {
  std::vector<std::uint8_t> bytes(size(index));
  read_into(index, bytes.data(), bytes.size());
  return bytes;
}

ZipWriter::ZipWriter(const std::filesystem::path& path, std::string label)
    : label_(std::move(label)) {
  int code = 0;
  archive_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_EXCL, &code);
  if (archive_ == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string reason = error_text(error);
    zip_error_fini(&error);
    throw IoError("cannot create " + path.string() + ": " + reason);
  }
}

ZipWriter::~ZipWriter() {
  if (archive_ != nullptr) zip_discard(archive_);
}

void ZipWriter::fail(const std::string& what) const {
  throw IoError("cannot write " + label_ + ": " + what + ": " +
                zip_error_strerror(zip_get_error(archive_)));
}

void ZipWriter::add(const std::string& name, std::span<const std::uint8_t> bytes, bool compress) {
  zip_source_t* source = zip_source_buffer(archive_, bytes.data(), bytes.size(), 0);
  if (source == nullptr) fail("cannot buffer member '" + name + "'");
  const zip_int64_t index =
      zip_file_add(archive_, name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(source);
    fail("cannot add member '" + name + "'");
  }
  const zip_int32_t method = compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
  if (zip_set_file_compression(archive_, static_cast<zip_uint64_t>(index), method, 0) != 0) {
    fail("cannot set the compression of member '" + name + "'");
  }
}

void ZipWriter::finish() {
  if (zip_close(archive_) != 0) fail("cannot finish the archive");
  archive_ = nullptr;
}

}  // namespace brainalign::io
