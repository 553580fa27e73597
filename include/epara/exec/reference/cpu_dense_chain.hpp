#pragma once
// The dense-chain reference model on the CPU (Eigen): one FP32 vector in ("input"), one out
// ("output").

#include <span>
#include <utility>

#include <fmt/format.h>
#include <Eigen/Core>

#include "epara/exec/batch.hpp"
#include "epara/exec/reference/weights.hpp"

namespace epara::exec {

class CpuDenseChain {
 public:
  CpuDenseChain(DenseChainWeights weights, std::size_t max_batch)
      : weights_(std::move(weights)), max_batch_(max_batch) {
    EPARA_EXPECTS(!weights_.layers.empty(), "dense chain: no layers");
    EPARA_EXPECTS(max_batch_ >= 1, "dense chain: max_batch must be >= 1");
    for (std::size_t i = 0; i + 1 < weights_.layers.size(); ++i)
      EPARA_EXPECTS(weights_.layers[i].outputs == weights_.layers[i + 1].inputs,
                    fmt::format("dense chain: layer {} outputs {} but layer {} takes {}", i,
                                weights_.layers[i].outputs, i + 1, weights_.layers[i + 1].inputs));
    inputs_ = {fp32_vector("input", input_size())};
    outputs_ = {fp32_vector("output", output_size())};
  }

  std::span<const TensorSpec> inputs() const { return inputs_; }
  std::span<const TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const { return max_batch_; }
  Bytes memory() const { return weights_.bytes(); }
  /// Floats per item in and out.
  std::size_t input_size() const { return weights_.input_size(); }
  std::size_t output_size() const { return weights_.output_size(); }

  void forward(Batch& batch) {
    forward_packed(batch, input_size(), outputs_[0].shape,
                   [this](auto in, auto out, std::size_t n) { forward(in, out, n); });
  }

  /// The kernel: n items packed, n · input_size() floats in, n · output_size() out.
  void forward(std::span<const float> in, std::span<float> out, std::size_t n) {
    EPARA_EXPECTS(n >= 1 && n <= max_batch_ && in.size() == n * input_size() &&
                      out.size() == n * output_size(),
                  fmt::format("dense chain: forward of {} items with {} inputs and {} outputs", n,
                              in.size(), out.size()));
    using Matrix = Eigen::MatrixXf;
    const auto cols = static_cast<Eigen::Index>(n);
    Matrix x = Eigen::Map<const Matrix>(in.data(), static_cast<Eigen::Index>(input_size()), cols);
    for (const DenseLayer& l : weights_.layers) {
      const auto rows = static_cast<Eigen::Index>(l.outputs);
      const Eigen::Map<const Matrix> w(l.weight.data(), rows, static_cast<Eigen::Index>(l.inputs));
      const Eigen::Map<const Eigen::VectorXf> b(l.bias.data(), rows);
      Matrix y = w * x;
      y.colwise() += b;
      if (l.relu) y = y.cwiseMax(0.0f);
      x = std::move(y);
    }
    Eigen::Map<Matrix>(out.data(), static_cast<Eigen::Index>(output_size()), cols) = x;
  }

 private:
  DenseChainWeights weights_;
  std::size_t max_batch_;
  std::vector<TensorSpec> inputs_, outputs_;  // set once the layers are known to chain
};

}  // namespace epara::exec
