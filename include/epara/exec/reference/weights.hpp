#pragma once
// Weights of the two reference models, generated deterministically from a seed on the host so
// that the CPU (Eigen) and CUDA (cuBLAS) versions compute the same function: one checks the
// other. Matrices are column-major.

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/exec/tensor_spec.hpp"
#include "epara/units.hpp"

namespace epara::exec {

namespace detail {
inline std::vector<float> uniform_values(std::size_t count, float bound, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> value(-bound, bound);
  std::vector<float> v(count);
  for (float& x : v) x = value(rng);
  return v;
}
}  // namespace detail

/// y = W x + b, then ReLU when `relu`.
struct DenseLayer {
  std::size_t inputs = 0, outputs = 0;
  std::vector<float> weight;  ///< outputs × inputs
  std::vector<float> bias;    ///< outputs
  bool relu = true;
};

/// A chain of dense layers: widths {in, h1, ..., out}; ReLU after every layer but the last.
struct DenseChainWeights {
  std::vector<DenseLayer> layers;

  std::size_t input_size() const { return layers.front().inputs; }
  std::size_t output_size() const { return layers.back().outputs; }
  Bytes bytes() const {
    std::int64_t floats = 0;
    for (const DenseLayer& l : layers)
      floats += static_cast<std::int64_t>(l.weight.size() + l.bias.size());
    return Bytes{floats * static_cast<std::int64_t>(sizeof(float))};
  }
};

inline DenseChainWeights make_dense_chain(const std::vector<std::size_t>& widths,
                                          std::uint64_t seed) {
  EPARA_EXPECTS(widths.size() >= 2, "dense chain: give at least an input and an output width");
  for (std::size_t w : widths) EPARA_EXPECTS(w >= 1, "dense chain: every width must be >= 1");
  std::mt19937_64 rng(seed);
  DenseChainWeights c;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    const std::size_t in = widths[i], out = widths[i + 1];
    const float bound = 1.0f / std::sqrt(static_cast<float>(in));  // keeps activations O(1)
    c.layers.push_back({in, out, detail::uniform_values(out * in, bound, rng),
                        detail::uniform_values(out, bound, rng), i + 2 < widths.size()});
  }
  return c;
}

/// The chain cut into k stages of consecutive layers, as even in layers as possible.
inline std::vector<DenseChainWeights> split_stages(const DenseChainWeights& chain, std::size_t k) {
  EPARA_EXPECTS(
      k >= 1 && k <= chain.layers.size(),
      fmt::format("dense chain: cannot split {} layers into {} stages", chain.layers.size(), k));
  std::vector<DenseChainWeights> stages(k);
  for (std::size_t i = 0; i < chain.layers.size(); ++i)
    stages[i * k / chain.layers.size()].layers.push_back(chain.layers[i]);
  return stages;
}

/// Single-head self-attention over `tokens` tokens of `dim` features, with a residual:
/// Y = Wo · (V · softmax(Kᵀ Q / √dim)) + X, where Q = Wq X, K = Wk X, V = Wv X.
struct AttentionWeights {
  std::size_t tokens = 0, dim = 0;
  std::vector<float> wq, wk, wv, wo;  ///< dim × dim each

  std::size_t input_size() const { return tokens * dim; }
  std::size_t output_size() const { return tokens * dim; }
  Bytes bytes() const { return Bytes{static_cast<std::int64_t>(4 * dim * dim * sizeof(float))}; }
  /// The block's input and output: FP32 [tokens, dim], a token's features contiguous.
  TensorSpec tensor_spec(std::string name) const {
    return {std::move(name),
            DType::FP32,
            {static_cast<std::int64_t>(tokens), static_cast<std::int64_t>(dim)}};
  }
};

inline AttentionWeights make_attention(std::size_t tokens, std::size_t dim, std::uint64_t seed) {
  EPARA_EXPECTS(tokens >= 1 && dim >= 1, "attention: tokens and dim must be >= 1");
  std::mt19937_64 rng(seed);
  const float bound = 1.0f / std::sqrt(static_cast<float>(dim));
  return {tokens,
          dim,
          detail::uniform_values(dim * dim, bound, rng),
          detail::uniform_values(dim * dim, bound, rng),
          detail::uniform_values(dim * dim, bound, rng),
          detail::uniform_values(dim * dim, bound, rng)};
}

}  // namespace epara::exec
