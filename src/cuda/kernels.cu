// Kernels of the reference models. Simple on purpose: the GEMMs (cuBLAS) dominate.

#include "kernels.hpp"

namespace epara::cuda::detail {
namespace {

__global__ void bias_relu(float* y, const float* bias, std::size_t rows, std::size_t cols,
                          bool relu) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= rows * cols) return;
  const float v = y[i] + bias[i % rows];
  y[i] = relu ? fmaxf(v, 0.0f) : v;
}

// One thread per column: a column is one query's scores over the (few) tokens of an item.
__global__ void column_softmax(float* s, std::size_t rows, std::size_t columns) {
  const std::size_t c = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (c >= columns) return;
  float* col = s + c * rows;
  float top = col[0];
  for (std::size_t r = 1; r < rows; ++r) top = fmaxf(top, col[r]);
  float total = 0.0f;
  for (std::size_t r = 0; r < rows; ++r) total += (col[r] = expf(col[r] - top));
  for (std::size_t r = 0; r < rows; ++r) col[r] /= total;
}

unsigned blocks_for(std::size_t n, unsigned threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

}  // namespace

cudaError_t launch_bias_relu(float* y, const float* bias, std::size_t rows, std::size_t cols,
                             bool relu, cudaStream_t stream) {
  constexpr unsigned threads = 256;
  bias_relu<<<blocks_for(rows * cols, threads), threads, 0, stream>>>(y, bias, rows, cols, relu);
  return cudaGetLastError();
}

cudaError_t launch_column_softmax(float* s, std::size_t rows, std::size_t columns,
                                  cudaStream_t stream) {
  constexpr unsigned threads = 128;
  column_softmax<<<blocks_for(columns, threads), threads, 0, stream>>>(s, rows, columns);
  return cudaGetLastError();
}

}  // namespace epara::cuda::detail
