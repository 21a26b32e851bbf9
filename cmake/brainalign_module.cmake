# brainalign_add_module(NAME [DEPENDS module...] [PUBLIC_LIBS lib...] [PRIVATE_LIBS lib...])
#
# One module of the library: the sources under src/NAME/, the headers under
# include/brainalign/NAME/, one static library brainalign_NAME (alias brainalign::NAME) whose
# public dependencies are the modules it names, installed with its headers as brainalign::NAME. DEPENDS is also the list that
# scripts/check_dependencies.py holds every #include of the module to: a module may include
# its own headers and those of the modules it names, nothing else.
function(brainalign_add_module name)
  cmake_parse_arguments(PARSE_ARGV 1 M "" "" "DEPENDS;PUBLIC_LIBS;PRIVATE_LIBS")
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(brainalign_${name} STATIC ${sources})
  add_library(brainalign::${name} ALIAS brainalign_${name})
  target_include_directories(brainalign_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(brainalign_${name} PRIVATE ${BRAINALIGN_WARNINGS})
  foreach(dependency ${M_DEPENDS})
    if(NOT TARGET brainalign_${dependency})
      message(FATAL_ERROR "module ${name} depends on ${dependency}, which is not declared before it")
    endif()
    target_link_libraries(brainalign_${name} PUBLIC brainalign_${dependency})
  endforeach()
  target_link_libraries(brainalign_${name} PUBLIC ${M_PUBLIC_LIBS} PRIVATE ${M_PRIVATE_LIBS})
  set_property(GLOBAL APPEND PROPERTY BRAINALIGN_MODULES ${name})
  # Installed as brainalign::NAME (cmake --install BUILD --component development).
  set_target_properties(brainalign_${name} PROPERTIES EXPORT_NAME ${name})
  install(TARGETS brainalign_${name} EXPORT brainalignTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)
endfunction()
