// Plugins: parts of brainalign built as their own shared library and opened the first time
// something needs them, so that work which never does starts without them. The neural plugin
// (libbrainalign_neural.so: the libtorch model families and probe training) is the one there
// is: linking libtorch in costs every command about half a second of start-up.
//
// Plugin NAME is the file libbrainalign_NAME.so beside the shared core library
// (libbrainalign.so); opening it calls its `extern "C" void brainalign_NAME_plugin_init()`,
// which registers what the plugin brings with the core's registries. A program that links the
// core statically (the unit tests, the sanitizer build) opens no plugin: it links what it needs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace brainalign {

// Opens plugin `name` once (later calls return at once; thread-safe). True when it is open;
// false when this build has no such plugin (the core is linked statically, or the plugin was
// not built). A plugin file that cannot be opened, or lacks its init function, is an IoError
// naming the file and the loader's message.
bool load_plugin(const std::string& name);

// Where plugin `name` would be opened from when present; nullopt when the core is linked
// statically. Opens nothing.
std::optional<std::filesystem::path> plugin_path(const std::string& name);

}  // namespace brainalign
