#pragma once
// The reference models' own kernels (kernels.cu), launched on a stream. Plain C++ declarations
// so that the models' host code compiles with the host compiler.

#include <cuda_runtime_api.h>

#include <cstddef>

namespace epara::cuda::detail {

/// y[r, c] += bias[r], then max(·, 0) when `relu`; y is rows × cols, column-major.
cudaError_t launch_bias_relu(float* y, const float* bias, std::size_t rows, std::size_t cols,
                             bool relu, cudaStream_t stream);

/// Softmax of each column of s (rows × columns, column-major), in place.
cudaError_t launch_column_softmax(float* s, std::size_t rows, std::size_t columns,
                                  cudaStream_t stream);

}  // namespace epara::cuda::detail
