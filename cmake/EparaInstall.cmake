# Installs the headers and an exported eparaConfig.cmake so that embedders write
# find_package(epara [COMPONENTS cuda torchscript node]) and link epara::core, epara::io,
# epara::bound and epara::sim — plus, as optional components, epara::cuda (the cuBLAS
# reference models), epara::torchscript (TorchScript models through libtorch) and epara::node
# (the networked node: gRPC, protobuf, cpp-httplib). Each
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
if(EPARA_HAS_GRPC)
  list(APPEND _epara_exports eparaNodeTargets)
  set(eparaNodeTargets_targets epara_node epara_node_proto)
  # The node's headers, and the protocol code they include, generated from proto/.
  install(FILES src/node/node.hpp src/node/local_instances.hpp src/node/metrics.hpp
                src/node/status_name.hpp src/node/tensor_wire.hpp
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/epara/node)
  set(_gen ${PROJECT_BINARY_DIR}/src/node/gen)
  install(FILES ${_gen}/epara/peer.pb.h ${_gen}/epara/peer.grpc.pb.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/epara)
  install(FILES ${_gen}/inference/grpc_predict_v2.pb.h ${_gen}/inference/grpc_predict_v2.grpc.pb.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/inference)
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
