# Study reports inline Vega, Vega-Lite and Vega-Embed, bundled into brainalign_report at build
# time: npm vendors them into the build folder (never the source tree; with playwright-core for
# the browser test of the report), then cmake/embed_chart_libraries.cmake writes the minified
# builds, their versions and licences into a generated source. Nothing is read at run time.
# Without npm, BRAINALIGN_VEGA_DIR may name a node_modules folder holding the three packages.
# Only the report module waits for npm; the rest of the library builds beside it.
find_program(NPM_EXECUTABLE npm)
set(BRAINALIGN_VEGA_DIR "" CACHE PATH
    "node_modules folder with vega, vega-lite and vega-embed to bundle (default: npm's)")
set(chart_modules "")
set(chart_depends "")
if(BRAINALIGN_VEGA_DIR)
  set(chart_modules ${BRAINALIGN_VEGA_DIR})
  foreach(package vega vega-lite vega-embed)
    list(APPEND chart_depends ${BRAINALIGN_VEGA_DIR}/${package}/build/${package}.min.js)
  endforeach()
elseif(NPM_EXECUTABLE)
  set(vendor_stamp ${CMAKE_BINARY_DIR}/report-vendor/installed.stamp)
  add_custom_command(OUTPUT ${vendor_stamp}
    COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/src/report/package.json
            ${CMAKE_BINARY_DIR}/report-vendor/package.json
    COMMAND ${NPM_EXECUTABLE} install --no-audit --no-fund --loglevel=error
            --prefix ${CMAKE_BINARY_DIR}/report-vendor
    COMMAND ${CMAKE_COMMAND} -E touch ${vendor_stamp}
    DEPENDS ${PROJECT_SOURCE_DIR}/src/report/package.json
    COMMENT "Vendoring vega, vega-lite, vega-embed and playwright-core from npm")
  add_custom_target(report_vendor ALL DEPENDS ${vendor_stamp})
  set(chart_modules ${CMAKE_BINARY_DIR}/report-vendor/node_modules)
  set(chart_depends ${vendor_stamp})
else()
  message(WARNING "npm not found and BRAINALIGN_VEGA_DIR not set: this brainalign cannot write "
                  "study reports")
endif()
set(chart_source ${CMAKE_BINARY_DIR}/generated/chart_libraries_data.cpp)
add_custom_command(OUTPUT ${chart_source}
  COMMAND ${CMAKE_COMMAND} -DMODULES=${chart_modules} -DOUT=${chart_source}
          -P ${PROJECT_SOURCE_DIR}/cmake/embed_chart_libraries.cmake
  DEPENDS ${chart_depends} ${PROJECT_SOURCE_DIR}/cmake/embed_chart_libraries.cmake
  COMMENT "Bundling vega, vega-lite and vega-embed into the library")
target_sources(brainalign_report PRIVATE ${chart_source})
set_source_files_properties(${chart_source} PROPERTIES
  INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/src)
