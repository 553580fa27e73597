# Installs the headers, epara::core, epara::io (and epara::cuda when built), and an exported eparaConfig.cmake so that
# embedders write find_package(epara) and link epara::core / epara::io.
include(CMakePackageConfigHelpers)

set(EPARA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/epara)

install(DIRECTORY include/epara DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_epara_installed epara_core epara_io)
if(EPARA_HAS_CUDA)
  list(APPEND _epara_installed epara_cuda)  # the cuBLAS reference models
endif()
install(TARGETS ${_epara_installed}
  EXPORT eparaTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT eparaTargets NAMESPACE epara:: DESTINATION ${EPARA_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/eparaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/eparaConfig.cmake
  INSTALL_DESTINATION ${EPARA_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/eparaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)  # 0.x: minor versions may break the API
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/eparaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/eparaConfigVersion.cmake
        DESTINATION ${EPARA_INSTALL_CMAKEDIR})
