#pragma once
// The dense-chain reference model on a GPU: one cuBLAS GEMM and one bias+ReLU kernel per layer,
// on its own stream. Same weights, same function as exec::CpuDenseChain. Host-only header.

#include <memory>
#include <span>
#include <vector>

#include "epara/cuda/stream_options.hpp"
#include "epara/exec/batch.hpp"
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

  std::span<const exec::TensorSpec> inputs() const { return inputs_; }
  std::span<const exec::TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const;
  Bytes memory() const;  ///< weights and activation buffers on the device
  /// Floats per item in and out.
  std::size_t input_size() const;
  std::size_t output_size() const;

  void forward(exec::Batch& batch) {
    exec::forward_packed(batch, input_size(), outputs_[0].shape,
                         [this](auto in, auto out, std::size_t n) { forward(in, out, n); });
  }
  /// The kernel: n items packed, n · input_size() floats in, n · output_size() out.
  void forward(std::span<const float> in, std::span<float> out, std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<exec::TensorSpec> inputs_, outputs_;
};

}  // namespace epara::cuda
