// cuda::DenseChain: per layer, Y = W·X by cuBLAS (column-major, one column per item), then
// one kernel (kernels.cu) adding the bias and applying ReLU. Activations ping-pong between two
// buffers sized for the widest layer at max_batch.

#include <algorithm>

#include "device_context.hpp"
#include "epara/cuda/dense_chain.hpp"
#include "kernels.hpp"

namespace epara::cuda {
namespace {

struct Layer {
  std::size_t inputs, outputs;
  bool relu;
  detail::DeviceArray weight, bias;
};

}  // namespace

struct DenseChain::Impl {
  Impl(const exec::DenseChainWeights& w, std::size_t batch_capacity, StreamOptions options)
      : context(options),
        max_batch(batch_capacity),
        inputs(w.input_size()),
        outputs(w.output_size()),
        widest(widest_of(w)),
        input(batch_capacity * w.input_size()),
        ping(batch_capacity * widest),
        pong(batch_capacity * widest) {
    for (const exec::DenseLayer& l : w.layers)
      layers.push_back({l.inputs, l.outputs, l.relu,
                        detail::DeviceArray(l.weight, context.stream()),
                        detail::DeviceArray(l.bias, context.stream())});
    context.synchronize();
  }

  static std::size_t widest_of(const exec::DenseChainWeights& w) {
    EPARA_EXPECTS(!w.layers.empty(), "dense chain: no layers");
    std::size_t widest = 0;
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
      if (i + 1 < w.layers.size())
        EPARA_EXPECTS(w.layers[i].outputs == w.layers[i + 1].inputs,
                      "dense chain: layer " + std::to_string(i) + " does not chain to the next");
      widest = std::max(widest, w.layers[i].outputs);
    }
    return widest;
  }

  void forward(std::span<const float> in, std::span<float> out, std::size_t n) {
    detail::expect_forward("dense chain", n, max_batch, in.size(), inputs, out.size(), outputs);
    context.activate();
    input.upload(in, context.stream());
    const float one = 1.0f, zero = 0.0f;
    const float* x = input.get();
    float* y = ping.get();
    for (const Layer& l : layers) {
      EPARA_CUBLAS_TRY(cublasSgemm(context.blas(), CUBLAS_OP_N, CUBLAS_OP_N,
                                   static_cast<int>(l.outputs), static_cast<int>(n),
                                   static_cast<int>(l.inputs), &one, l.weight.get(),
                                   static_cast<int>(l.outputs), x, static_cast<int>(l.inputs),
                                   &zero, y, static_cast<int>(l.outputs)));
      EPARA_CUDA_TRY(
          detail::launch_bias_relu(y, l.bias.get(), l.outputs, n, l.relu, context.stream()));
      x = y;
      y = y == ping.get() ? pong.get() : ping.get();
    }
    EPARA_CUDA_TRY(cudaMemcpyAsync(out.data(), x, out.size() * sizeof(float),
                                   cudaMemcpyDeviceToHost, context.stream()));
    context.synchronize();
  }

  Bytes memory() const {
    Bytes b = input.bytes() + ping.bytes() + pong.bytes();
    for (const Layer& l : layers) b += l.weight.bytes() + l.bias.bytes();
    return b;
  }

  detail::DeviceContext context;
  std::size_t max_batch, inputs, outputs, widest;
  detail::DeviceArray input, ping, pong;
  std::vector<Layer> layers;
};

DenseChain::DenseChain(const exec::DenseChainWeights& weights, std::size_t max_batch,
                       StreamOptions options) {
  EPARA_EXPECTS(max_batch >= 1, "dense chain: max_batch must be >= 1");
  EPARA_EXPECTS(!weights.layers.empty(), "dense chain: no layers");
  impl_ = std::make_unique<Impl>(weights, max_batch, options);
  inputs_ = {exec::fp32_vector("input", impl_->inputs)};
  outputs_ = {exec::fp32_vector("output", impl_->outputs)};
}
DenseChain::~DenseChain() = default;
DenseChain::DenseChain(DenseChain&&) noexcept = default;
DenseChain& DenseChain::operator=(DenseChain&&) noexcept = default;

std::size_t DenseChain::input_size() const { return impl_->inputs; }
std::size_t DenseChain::output_size() const { return impl_->outputs; }
std::size_t DenseChain::max_batch() const { return impl_->max_batch; }
Bytes DenseChain::memory() const { return impl_->memory(); }
void DenseChain::forward(std::span<const float> in, std::span<float> out, std::size_t n) {
  impl_->forward(in, out, n);
}

}  // namespace epara::cuda
