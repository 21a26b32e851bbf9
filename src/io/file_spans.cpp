#include "file_spans.h"

#include <system_error>
#include <utility>

#include "brainalign/base/error.h"

namespace brainalign::io::detail {

std::uint64_t little_endian(const char* bytes, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

FileSpans::FileSpans(const std::filesystem::path& path, std::string where)
    : in_(path, std::ios::binary), where_(std::move(where)) {
  std::error_code status;
  size_ = std::filesystem::file_size(path, status);
  if (!in_ || status) throw IoError("cannot read " + path.string());
}

void FileSpans::fail(const std::string& message) const {
  throw InputError(where_ + ": " + message);
}

std::string FileSpans::read(std::uint64_t offset, std::uint64_t count, const std::string& what) {
  if (offset > size_ || count > size_ - offset) {
    fail(what + " (" + std::to_string(count) + " bytes at byte " + std::to_string(offset) +
         ") lies beyond the end of the file (" + std::to_string(size_) + " bytes)");
  }
  std::string bytes(static_cast<std::size_t>(count), '\0');
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset));
  in_.read(bytes.data(), static_cast<std::streamsize>(count));
  if (!in_) throw IoError("cannot read " + where_ + ": " + what);
  return bytes;
}

}  // namespace brainalign::io::detail
