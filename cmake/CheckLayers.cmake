# Each library's headers (include/epara/<layer>/) and sources (src/<layer>/) include only the
# layers below it: the model at the bottom, the programs (sim, node, cli) at the top. Run by
# ctest ("layers: ..."): cmake -DSOURCE_DIR=<repository> -P CheckLayers.cmake
set(layers model parallel placement sync handler exec io bound torchscript cuda sim node cli)
# What each layer may include besides itself; a layer not listed may include any.
set(allowed_model "")
set(allowed_parallel model)
set(allowed_placement model parallel)
set(allowed_sync model)
set(allowed_handler model parallel sync)
set(allowed_exec model parallel)
# The JSON layer reads and writes the model; the programs that use it are above it.
set(allowed_io model parallel placement exec)
set(allowed_bound model parallel placement)

set(violations "")
foreach(layer model parallel placement sync handler exec io bound)
  file(GLOB_RECURSE files ${SOURCE_DIR}/include/epara/${layer}/*.hpp ${SOURCE_DIR}/src/${layer}/*.hpp
       ${SOURCE_DIR}/src/${layer}/*.cpp)
  foreach(file ${files})
    file(STRINGS ${file} includes REGEX "^#include [\"<](epara/)?[a-z_]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include [\"<](epara/)?([a-z_]+)/.*" "\\2" dir "${line}")
      list(FIND layers ${dir} is_layer)
      list(FIND allowed_${layer} ${dir} is_allowed)
      if(NOT is_layer EQUAL -1 AND NOT dir STREQUAL layer AND is_allowed EQUAL -1)
        file(RELATIVE_PATH where ${SOURCE_DIR} ${file})
        string(REPLACE ";" ", " below "${allowed_${layer}}")
        string(APPEND violations "\n  ${where}: ${line} (${layer} may include: ${below})")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "a layer includes one above it or beside it:${violations}")
endif()
message(STATUS "every layer includes only the layers below it")
