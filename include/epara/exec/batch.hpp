#pragma once
// One pass as a model sees it: n items' input tensors, read where the items hold them (no copy
// per item on the way in), and n items' output tensors for the model to set. A model on a
// device gathers each input straight into its staging buffer; gather and scatter do that for
// the common case of fixed-size tensors.

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "epara/exec/tensor_spec.hpp"

namespace epara::exec {

class Batch {
 public:
  /// `inputs[i]`: item i's input tensors, which must outlive the batch. Each item gets
  /// `outputs` empty output tensors, for the model to set.
  Batch(std::vector<const std::vector<Tensor>*> inputs, std::size_t outputs)
      : inputs_(std::move(inputs)), outputs_(inputs_.size(), std::vector<Tensor>(outputs)) {}

  /// A batch over `items`' tensors (which must outlive it).
  static Batch over(const std::vector<std::vector<Tensor>>& items, std::size_t outputs) {
    std::vector<const std::vector<Tensor>*> inputs;
    inputs.reserve(items.size());
    for (const auto& item : items) inputs.push_back(&item);
    return {std::move(inputs), outputs};
  }

  /// The same items' inputs with room for `outputs` outputs each: a model run in parts.
  Batch with_outputs(std::size_t outputs) const { return {inputs_, outputs}; }

  /// Items in the pass.
  std::size_t size() const noexcept { return inputs_.size(); }

  const Tensor& input(std::size_t item, std::size_t index = 0) const {
    return inputs_.at(item)->at(index);
  }
  Tensor& output(std::size_t item, std::size_t index = 0) { return outputs_.at(item).at(index); }

  /// Input `index` of every item, item after item, into `packed` (items of one size, which
  /// the executor checked against the model's fixed-size spec).
  template <Element T>
  void gather(std::size_t index, std::span<T> packed) const {
    std::size_t at = 0;
    for (std::size_t i = 0; i < size(); ++i) {
      const std::span<const T> v = input(i, index).template values<T>();
      EPARA_EXPECTS(at + v.size() <= packed.size(),
                    fmt::format("batch: input {} of {} items overruns {} packed elements", index,
                                size(), packed.size()));
      std::copy(v.begin(), v.end(), packed.begin() + static_cast<std::ptrdiff_t>(at));
      at += v.size();
    }
  }

  /// Sets output `index` of every item to its share of `packed`, each of `shape`.
  template <Element T>
  void scatter(std::size_t index, std::span<const T> packed, const Shape& shape) {
    const std::size_t each = element_count(shape);
    EPARA_EXPECTS(
        packed.size() == each * size(),
        fmt::format("batch: {} packed elements for {} items of {}", packed.size(), size(), each));
    for (std::size_t i = 0; i < size(); ++i)
      output(i, index) = Tensor::of(packed.subspan(i * each, each), shape);
  }

  /// The outputs, item by item, leaving the batch without them.
  std::vector<std::vector<Tensor>> take_outputs() { return std::move(outputs_); }
  /// Sets every item's outputs at once (`outputs[i]`: item i's).
  void set_outputs(std::vector<std::vector<Tensor>> outputs) {
    EPARA_EXPECTS(
        outputs.size() == size(),
        fmt::format("batch: outputs for {} items, the pass has {}", outputs.size(), size()));
    outputs_ = std::move(outputs);
  }

 private:
  std::vector<const std::vector<Tensor>*> inputs_;
  std::vector<std::vector<Tensor>> outputs_;
};

/// For models with one fixed-size FP32 input and one FP32 output of `out_shape`, run packed:
/// gathers the items' inputs, calls `kernel(in, out, n)` with n·in_size and n·out_size floats,
/// scatters the outputs. The reference models run through it.
template <class Kernel>
void forward_packed(Batch& batch, std::size_t in_size, const Shape& out_shape, Kernel&& kernel) {
  const std::size_t out_size = element_count(out_shape);
  std::vector<float> in(batch.size() * in_size), out(batch.size() * out_size);
  batch.gather<float>(0, in);
  kernel(std::span<const float>(in), std::span<float>(out), batch.size());
  batch.scatter<float>(0, out, out_shape);
}

}  // namespace epara::exec
