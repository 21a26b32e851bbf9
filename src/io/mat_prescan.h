// The structure of a .mat file, checked against the file's size before libmatio opens it.
// libmatio sizes what it allocates by the headers it reads (name lengths, dimensions, cell and
// field counts) before it finds out how much the file holds; a header declaring more than
// could be stored is refused here first.
#pragma once

#include <filesystem>

namespace brainalign::io {

// Throws InputError naming the file and the element that declares too much, or IoError when
// the file cannot be read. v7.3 files are HDF5 files and get prescan_hdf5_file.
void prescan_mat_file(const std::filesystem::path& path);

}  // namespace brainalign::io
