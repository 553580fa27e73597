# epara_settings: the warning set for libepara's own targets (library sources, tests, examples,
# benchmarks, tools). Linked privately and never exported, so consumers keep their own flags.
add_library(epara_settings INTERFACE)
set(_epara_cxx_warnings
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual)
target_compile_options(epara_settings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:${_epara_cxx_warnings}>
  # nvcc's generated host stubs trip -Wpedantic (line directives) and -Wold-style-cast, so the
  # CUDA side gets the subset that its own output passes.
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
if(EPARA_WERROR)
  target_compile_options(epara_settings INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Werror>)
endif()
unset(_epara_cxx_warnings)
