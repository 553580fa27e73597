#pragma once
// The attention reference block on a GPU: batched projections and per-item score GEMMs through
// cuBLAS (strided batched), a column softmax kernel, on its own stream. Same weights, same
// function as exec::CpuAttention. Host-only header.

#include <memory>
#include <span>

#include "epara/cuda/stream_options.hpp"
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

  std::size_t input_size() const;
  std::size_t output_size() const;
  std::size_t max_batch() const;
  Bytes memory() const;
  void forward(std::span<const float> in, std::span<float> out, std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace epara::cuda
