#pragma once
// The Model concept: what an embedder's model (a TensorRT engine, a libtorch module, a hand-
// written kernel) exposes so that the executors can run it. A model is bound to its device and
// stream when it is made; `forward` runs `n` items and returns when their outputs are written.

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "epara/units.hpp"

namespace epara::exec {

/// Items are fixed-size float vectors, packed item after item: `in` holds n · input_size()
/// floats, `out` n · output_size(). `n` never exceeds max_batch().
template <class M>
concept Model = requires(M& m, const M& cm, std::span<const float> in, std::span<float> out,
                         std::size_t n) {
  { cm.input_size() } -> std::convertible_to<std::size_t>;
  { cm.output_size() } -> std::convertible_to<std::size_t>;
  { cm.max_batch() } -> std::convertible_to<std::size_t>;
  { cm.memory() } -> std::convertible_to<Bytes>;  ///< device memory it holds (weights, buffers)
  m.forward(in, out, n);
};

/// A type-erased Model, for executors holding models of different types (multi-task) or chosen
/// at run time (CPU or CUDA). Move-only, like the models it holds.
class AnyModel {
 public:
  template <Model M>
  requires(!std::same_as<std::remove_cvref_t<M>, AnyModel>) explicit AnyModel(M model)
      : self_(std::make_unique<Holder<M>>(std::move(model))) {}

  std::size_t input_size() const { return self_->input_size(); }
  std::size_t output_size() const { return self_->output_size(); }
  std::size_t max_batch() const { return self_->max_batch(); }
  Bytes memory() const { return self_->memory(); }
  void forward(std::span<const float> in, std::span<float> out, std::size_t n) {
    self_->forward(in, out, n);
  }

 private:
  struct Interface {
    virtual ~Interface() = default;
    virtual std::size_t input_size() const = 0;
    virtual std::size_t output_size() const = 0;
    virtual std::size_t max_batch() const = 0;
    virtual Bytes memory() const = 0;
    virtual void forward(std::span<const float>, std::span<float>, std::size_t) = 0;
  };
  template <class M>
  struct Holder final : Interface {
    explicit Holder(M m) : model(std::move(m)) {}
    std::size_t input_size() const override { return model.input_size(); }
    std::size_t output_size() const override { return model.output_size(); }
    std::size_t max_batch() const override { return model.max_batch(); }
    Bytes memory() const override { return model.memory(); }
    void forward(std::span<const float> in, std::span<float> out, std::size_t n) override {
      model.forward(in, out, n);
    }
    M model;
  };
  std::unique_ptr<Interface> self_;
};

static_assert(Model<AnyModel>);

}  // namespace epara::exec
