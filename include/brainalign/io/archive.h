// Unpacking downloaded archives (tar, tar.gz, zip, ... through libarchive), safely: entries
// with absolute paths, '..' components or links that leave the destination are refused.
#pragma once

#include <filesystem>

namespace brainalign::io {

// Unpacks `archive` into `destination`, dropping the first `strip_components` components of
// each entry's path (as tar --strip-components). The entries go to a temporary folder inside
// `destination` first and are renamed into place only when every entry was unpacked, replacing
// what was there under the same top-level names. Throws InputError naming the archive and the
// entry for an unsafe or unreadable entry (nothing is left behind), IoError when writing fails.
void unpack_archive(const std::filesystem::path& archive, const std::filesystem::path& destination,
                    int strip_components = 0);

}  // namespace brainalign::io
