// The chart libraries as the build bundles them (cmake/embed_chart_libraries.cmake writes
// their data into a generated source): each library's code and licence text in chunks.
#pragma once

#include <cstddef>
#include <string_view>

namespace brainalign::report::chart_data {

struct Bundled {
  const char* name;
  const char* version;
  const char* license;
  const std::string_view* code;
  std::size_t code_chunks;
  const std::string_view* license_text;
  std::size_t license_chunks;
};

extern const Bundled* const kBundled;  // vega, vega-lite, vega-embed; null when none
extern const std::size_t kBundledCount;

}  // namespace brainalign::report::chart_data
