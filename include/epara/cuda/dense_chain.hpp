#pragma once
// The dense-chain reference model on a GPU: one cuBLAS GEMM and one bias+ReLU kernel per layer,
// on its own stream. Same weights, same function as exec::CpuDenseChain. Host-only header.

#include <memory>
#include <span>

#include "epara/cuda/stream_options.hpp"
#include "epara/exec/reference/weights.hpp"

namespace epara::cuda {

class DenseChain {
 public:
  /// Throws CudaError ("no CUDA device: ...") where no GPU is usable; InvalidArgument for a
  /// device index that does not exist or weights that do not chain.
  DenseChain(const exec::DenseChainWeights& weights, std::size_t max_batch,
             StreamOptions options = {});
  ~DenseChain();
  DenseChain(DenseChain&&) noexcept;
  DenseChain& operator=(DenseChain&&) noexcept;

  std::size_t input_size() const;
  std::size_t output_size() const;
  std::size_t max_batch() const;
  Bytes memory() const;  ///< weights and activation buffers on the device
  void forward(std::span<const float> in, std::span<float> out, std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace epara::cuda
