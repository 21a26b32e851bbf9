#include "brainalign/io/hdf5.h"

#include <hdf5.h>

#include "brainalign/error.h"

namespace brainalign::io {
namespace {

// Closes an HDF5 handle when it leaves scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

hid_t open_file(const std::filesystem::path& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not stderr noise
  if (!std::filesystem::exists(path)) throw InputError(path.string() + ": file not found");
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw InputError(path.string() + ": not a readable HDF5 file");
  return f;
}

herr_t collect(hid_t group, const char* name, const H5L_info_t*, void* out) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 && info.type == H5O_TYPE_DATASET)
    static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

}  // namespace

std::vector<std::string> hdf5_dataset_names(const std::filesystem::path& path) {
  Handle file{open_file(path), H5Fclose};
  std::vector<std::string> names;
  H5Literate(file.id, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names);
  return names;
}

NumericArray read_hdf5_numeric(const std::filesystem::path& path, const std::string& name) {
  Handle file{open_file(path), H5Fclose};
  const std::string where = path.string() + ", dataset '" + name + "'";
  Handle set{H5Dopen2(file.id, name.c_str(), H5P_DEFAULT), H5Dclose};
  if (set.id < 0) throw InputError(where + ": not found");
  Handle type{H5Dget_type(set.id), H5Tclose};
  const H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) throw InputError(where + ": expected numbers");
  Handle space{H5Dget_space(set.id), H5Sclose};
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank < 0 || rank > 8) throw InputError(where + ": unsupported rank");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  NumericArray out;
  std::size_t n = 1;
  for (hsize_t d : dims) {
    out.shape.push_back(static_cast<std::size_t>(d));
    if (d != 0 && n > (std::size_t{1} << 34) / d) throw InputError(where + ": absurd size");
    n *= static_cast<std::size_t>(d);
  }
  out.values.resize(n);
  if (n > 0 && H5Dread(set.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0)
    throw InputError(where + ": cannot be read");
  return out;
}

std::vector<std::string> read_hdf5_strings(const std::filesystem::path& path, const std::string& name) {
  Handle file{open_file(path), H5Fclose};
  const std::string where = path.string() + ", dataset '" + name + "'";
  Handle set{H5Dopen2(file.id, name.c_str(), H5P_DEFAULT), H5Dclose};
  if (set.id < 0) throw InputError(where + ": not found");
  Handle type{H5Dget_type(set.id), H5Tclose};
  if (H5Tget_class(type.id) != H5T_STRING) throw InputError(where + ": expected strings");
  Handle space{H5Dget_space(set.id), H5Sclose};
  const hssize_t count = H5Sget_simple_extent_npoints(space.id);
  if (count < 0 || count > (1 << 26)) throw InputError(where + ": unsupported size");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.id) > 0) {
    Handle mem{H5Tcopy(H5T_C_S1), H5Tclose};
    H5Tset_size(mem.id, H5T_VARIABLE);
    H5Tset_cset(mem.id, H5Tget_cset(type.id));
    std::vector<char*> raw(static_cast<size_t>(count), nullptr);
    if (H5Dread(set.id, mem.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) throw InputError(where + ": cannot be read");
    for (char* s : raw) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, raw.data());
  } else {
    const size_t size = H5Tget_size(type.id);
    std::vector<char> raw(size * static_cast<size_t>(count));
    if (H5Dread(set.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) throw InputError(where + ": cannot be read");
    for (hssize_t i = 0; i < count; ++i) {
      std::string s(raw.data() + static_cast<size_t>(i) * size, size);
      s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace brainalign::io
