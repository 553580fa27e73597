#pragma once
// The attention reference block on a GPU: batched projections and per-item score GEMMs through
// cuBLAS (strided batched), a column softmax kernel, on its own stream. Same weights, same
// function as exec::CpuAttention. Host-only header.

#include <memory>
#include <span>
#include <vector>

#include "epara/cuda/stream_options.hpp"
#include "epara/exec/batch.hpp"
#include "epara/exec/reference/weights.hpp"

namespace epara::cuda {

class Attention {
 public:
  /// Throws CudaError ("no CUDA device: ...") where no GPU is usable.
  Attention(const exec::AttentionWeights& weights, std::size_t max_batch,
            StreamOptions options = {});
  ~Attention();
  Attention(Attention&&) noexcept;
  Attention& operator=(Attention&&) noexcept;

  std::span<const exec::TensorSpec> inputs() const { return inputs_; }
  std::span<const exec::TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const;
  Bytes memory() const;
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
