# Installs the headers and an exported eparaConfig.cmake so that embedders write
# find_package(epara [COMPONENTS cuda torchscript]) and link epara::core, epara::io,
# epara::bound and epara::sim — plus, as optional components, epara::cuda (the cuBLAS
# reference models) and epara::torchscript (TorchScript models through libtorch). Each
# component is an export set of its own, so a consumer that does not ask for one needs none of
# its toolkits (a CPU-only consumer never looks for CUDA).
include(CMakePackageConfigHelpers)

set(EPARA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/epara)

install(DIRECTORY include/epara DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_epara_exports eparaTargets)
set(eparaTargets_targets epara_core epara_io epara_bound epara_sim)
if(EPARA_HAS_CUDA)
  list(APPEND _epara_exports eparaCudaTargets)
  set(eparaCudaTargets_targets epara_cuda)
endif()
if(EPARA_HAS_TORCH)
  list(APPEND _epara_exports eparaTorchscriptTargets)
  set(eparaTorchscriptTargets_targets epara_torchscript)
endif()
foreach(export ${_epara_exports})
  install(TARGETS ${${export}_targets}
    EXPORT ${export}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT ${export} NAMESPACE epara:: DESTINATION ${EPARA_INSTALL_CMAKEDIR})
endforeach()

configure_package_config_file(cmake/eparaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/eparaConfig.cmake
  INSTALL_DESTINATION ${EPARA_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/eparaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)  # 0.x: minor versions may break the API
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/eparaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/eparaConfigVersion.cmake
        DESTINATION ${EPARA_INSTALL_CMAKEDIR})
