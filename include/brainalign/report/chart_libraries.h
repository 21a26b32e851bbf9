// The chart libraries study reports inline: Vega, Vega-Lite and Vega-Embed, bundled into the
// binary at build time from npm's minified builds (src/report/package.json pins the versions;
// cmake/embed_chart_libraries.cmake writes them into a generated source), so that a report
// needs no file at run time and an installed brainalign works without its build folder.
#pragma once

#include <string>
#include <vector>

namespace brainalign::report {

struct ChartLibrary {
  std::string name;          // the npm package: vega, vega-lite, vega-embed
  std::string version;       // from its package.json
  std::string license;       // SPDX identifier from its package.json (BSD-3-Clause)
  std::string license_text;  // its LICENSE file
  std::string code;          // build/<name>.min.js
};

// In load order (vega, vega-lite, vega-embed); empty when the build bundled none (npm was
// missing and no BRAINALIGN_VEGA_DIR was given when configuring).
const std::vector<ChartLibrary>& chart_libraries();

}  // namespace brainalign::report