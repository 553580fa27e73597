# epara_unity_build(target): the target's sources compile as one translation unit per batch of
# eight (a unity build). libepara's sources each include the same heavy headers (the standard
# library's, nlohmann-json's, gRPC's) and instantiate the same templates; compiled once per
# batch they build in a fraction of the time, under every preset, and clang-tidy matches the
# headers once per batch (scripts/tidy.sh). So a name in one source file's anonymous namespace,
# or a file-local static, must not repeat another's of the same target. EPARA_UNITY_BUILD=OFF
# compiles each file on its own: a file that lacks an include shows then.
option(EPARA_UNITY_BUILD "Compile the libraries' and tests' sources in unity batches" ON)

function(epara_unity_build target)
  if(EPARA_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()
