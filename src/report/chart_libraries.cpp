#include "brainalign/report/chart_libraries.h"

#include "chart_library_data.h"

namespace brainalign::report {
namespace {

std::string join(const std::string_view* chunks, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += chunks[i];
  return out;
}

}  // namespace

const std::vector<ChartLibrary>& chart_libraries() {
  static const std::vector<ChartLibrary> libraries = [] {
    std::vector<ChartLibrary> out;
    for (std::size_t i = 0; i < chart_data::kBundledCount; ++i) {
      const chart_data::Bundled& b = chart_data::kBundled[i];
      out.push_back({b.name, b.version, b.license, join(b.license_text, b.license_chunks),
                     join(b.code, b.code_chunks)});
    }
    return out;
  }();
  return libraries;
}

}  // namespace brainalign::report