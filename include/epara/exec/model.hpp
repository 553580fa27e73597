#pragma once
// The Model concept: what an embedder's model (a TensorRT engine, a libtorch module, a hand-
// written kernel) exposes so that the executors can run it. A model is bound to its device and
// stream when it is made (the optional device stream is the model's own); `forward` runs a
// Batch and returns when its outputs are set.

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "epara/exec/batch.hpp"
#include "epara/units.hpp"

namespace epara::exec {

/// An item is a list of named tensors, one per entry of inputs(), each checked against its spec
/// before the model sees it; forward sets every item's outputs (one per entry of outputs()),
/// which the executor checks after the pass. A pass never holds more than max_batch() items.
/// inputs() and outputs() return views of specs the model holds (they live as long as it).
template <class M>
concept Model = requires(M& m, const M& cm, Batch& batch) {
  { cm.inputs() } -> std::convertible_to<std::span<const TensorSpec>>;
  { cm.outputs() } -> std::convertible_to<std::span<const TensorSpec>>;
  { cm.max_batch() } -> std::convertible_to<std::size_t>;
  { cm.memory() } -> std::convertible_to<Bytes>;  ///< device memory it holds (weights, buffers)
  m.forward(batch);
};

/// A type-erased Model, for executors holding models of different types (multi-task) or chosen
/// at run time (CPU or CUDA). Move-only, like the models it holds.
class AnyModel {
 public:
  template <Model M>
  requires(!std::same_as<std::remove_cvref_t<M>, AnyModel>) explicit AnyModel(M model)
      : self_(std::make_unique<Holder<M>>(std::move(model))) {}

  std::span<const TensorSpec> inputs() const { return self_->inputs(); }
  std::span<const TensorSpec> outputs() const { return self_->outputs(); }
  std::size_t max_batch() const { return self_->max_batch(); }
  Bytes memory() const { return self_->memory(); }
  void forward(Batch& batch) { self_->forward(batch); }

 private:
  struct Interface {
    virtual ~Interface() = default;
    virtual std::span<const TensorSpec> inputs() const = 0;
    virtual std::span<const TensorSpec> outputs() const = 0;
    virtual std::size_t max_batch() const = 0;
    virtual Bytes memory() const = 0;
    virtual void forward(Batch&) = 0;
  };
  template <class M>
  struct Holder final : Interface {
    explicit Holder(M m) : model(std::move(m)) {}
    std::span<const TensorSpec> inputs() const override { return model.inputs(); }
    std::span<const TensorSpec> outputs() const override { return model.outputs(); }
    std::size_t max_batch() const override { return model.max_batch(); }
    Bytes memory() const override { return model.memory(); }
    void forward(Batch& batch) override { model.forward(batch); }
    M model;
  };
  std::unique_ptr<Interface> self_;
};

static_assert(Model<AnyModel>);

}  // namespace epara::exec
