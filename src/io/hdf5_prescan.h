// The structures libhdf5 walks to open an HDF5 file and list its root group, checked against
// the file's size before libhdf5 reads them. libhdf5 1.10.8 reads metadata at whatever address
// a file gives (a B-tree child, a symbol table node, a local heap, an object header
// continuation); near 2^64 the address plus the size wraps past its bounds check and it copies
// through a NULL pointer. Every such address is checked here first.
#pragma once

#include <filesystem>

namespace brainalign::io {

// Throws InputError naming the file and the structure that lies outside it (or is malformed
// in a way libhdf5 does not catch), or IoError when the file cannot be read. Returns quietly
// where there is no HDF5 superblock; libhdf5 then rejects the file itself. Walks the
// superblock, the root group's object header and, for a group stored as a symbol table (what
// h5py and MATLAB write), its B-tree, local heap, symbol table nodes and the object header of
// every member. Of a group stored densely (fractal heap and v2 B-tree), only the top-level
// addresses are checked.
void prescan_hdf5_file(const std::filesystem::path& path);

}  // namespace brainalign::io
