#pragma once
// The attention reference block on the CPU (Eigen): FP32 [tokens, dim] in ("input") and out
// ("output").

#include <cmath>
#include <span>
#include <utility>

#include <fmt/format.h>
#include <Eigen/Core>

#include "epara/exec/batch.hpp"
#include "epara/exec/reference/weights.hpp"

namespace epara::exec {

class CpuAttention {
 public:
  CpuAttention(AttentionWeights weights, std::size_t max_batch)
      : w_(std::move(weights)), max_batch_(max_batch) {
    EPARA_EXPECTS(max_batch_ >= 1, "attention: max_batch must be >= 1");
    EPARA_EXPECTS(w_.wq.size() == w_.dim * w_.dim && w_.wk.size() == w_.wq.size() &&
                      w_.wv.size() == w_.wq.size() && w_.wo.size() == w_.wq.size(),
                  "attention: every weight matrix must be dim x dim");
  }

  std::span<const TensorSpec> inputs() const { return inputs_; }
  std::span<const TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const { return max_batch_; }
  Bytes memory() const { return w_.bytes(); }
  /// Floats per item in and out.
  std::size_t input_size() const { return w_.input_size(); }
  std::size_t output_size() const { return w_.output_size(); }

  void forward(Batch& batch) {
    forward_packed(batch, input_size(), outputs_[0].shape,
                   [this](auto in, auto out, std::size_t n) { forward(in, out, n); });
  }

  /// The kernel: n items packed, n · input_size() floats in, n · output_size() out.
  void forward(std::span<const float> in, std::span<float> out, std::size_t n) {
    EPARA_EXPECTS(n >= 1 && n <= max_batch_ && in.size() == n * input_size() &&
                      out.size() == n * output_size(),
                  fmt::format("attention: forward of {} items with {} inputs and {} outputs", n,
                              in.size(), out.size()));
    using Matrix = Eigen::MatrixXf;
    using ConstMap = Eigen::Map<const Matrix>;
    const auto d = static_cast<Eigen::Index>(w_.dim), t = static_cast<Eigen::Index>(w_.tokens);
    const ConstMap wq(w_.wq.data(), d, d), wk(w_.wk.data(), d, d), wv(w_.wv.data(), d, d),
        wo(w_.wo.data(), d, d);
    const float scale = 1.0f / std::sqrt(static_cast<float>(w_.dim));
    for (std::size_t item = 0; item < n; ++item) {
      const ConstMap x(in.data() + item * input_size(), d, t);
      const Matrix q = wq * x, k = wk * x, v = wv * x;
      Matrix s = (k.transpose() * q) * scale;  // column i: query i against every key
      for (Eigen::Index i = 0; i < t; ++i) {
        auto col = s.col(i);
        col = (col.array() - col.maxCoeff()).exp();
        col /= col.sum();
      }
      Eigen::Map<Matrix>(out.data() + item * output_size(), d, t) = wo * (v * s) + x;
    }
  }

 private:
  AttentionWeights w_;
  std::size_t max_batch_;
  std::vector<TensorSpec> inputs_{w_.tensor_spec("input")}, outputs_{w_.tensor_spec("output")};
};

}  // namespace epara::exec
