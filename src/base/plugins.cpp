#include "brainalign/base/plugins.h"

#include <dlfcn.h>

#include <map>
#include <mutex>

#include "brainalign/base/error.h"

namespace brainalign {
namespace {

// The folder of the shared core library, when this code runs inside it.
std::optional<std::filesystem::path> core_library_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&load_plugin), &info) == 0 || info.dli_fname == nullptr) {
    return std::nullopt;
  }
  const std::filesystem::path self = info.dli_fname;
  if (self.filename().string().rfind("libbrainalign.so", 0) != 0) return std::nullopt;
  return std::filesystem::absolute(self).parent_path();
}

}  // namespace

std::optional<std::filesystem::path> plugin_path(const std::string& name) {
  static const std::optional<std::filesystem::path> folder = core_library_folder();
  if (!folder) return std::nullopt;
  return *folder / ("libbrainalign_" + name + ".so");
}

bool load_plugin(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, bool> opened;  // name -> open (false: this build has none)
  std::lock_guard<std::mutex> lock(mutex);
  if (const auto known = opened.find(name); known != opened.end()) return known->second;
  const auto path = plugin_path(name);
  if (!path || !std::filesystem::exists(*path)) return opened[name] = false;
  // The plugin stays open for the life of the process: what it registers points into it.
  void* handle = dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw IoError("plugin " + path->string() +
                  " cannot be opened: " + (why != nullptr ? why : "unknown error"));
  }
  const std::string init_name = "brainalign_" + name + "_plugin_init";
  void* init = dlsym(handle, init_name.c_str());
  if (init == nullptr) {
    throw IoError("plugin " + path->string() + " has no " + init_name + "()");
  }
  reinterpret_cast<void (*)()>(init)();
  return opened[name] = true;
}

}  // namespace brainalign
