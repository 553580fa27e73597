#pragma once
// Error helpers for CUDA runtime calls: EPARA_CUDA_TRY(expr) throws epara::CudaError.

#include <cuda_runtime_api.h>

#include <string>

#include "epara/error.hpp"

namespace epara::cuda::detail {
[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                          int line) {
  throw CudaError(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" +
                  cudaGetErrorString(status) + ") at " + file + ":" + std::to_string(line));
}
}  // namespace epara::cuda::detail

#define EPARA_CUDA_TRY(call)                                                             \
  do {                                                                                   \
    const cudaError_t epara_status_ = (call);                                            \
    if (epara_status_ != cudaSuccess)                                                    \
      ::epara::cuda::detail::throw_cuda_error(epara_status_, #call, __FILE__, __LINE__); \
  } while (false)
