#pragma once
// The identity reference model: every item's outputs are its inputs, whatever their types and
// lengths (Triton's "identity" backend does the same). It checks a serving path — protocol,
// offloading, batching — byte for byte, and measures that path alone, with no compute.

#include <span>
#include <utility>
#include <vector>

#include "epara/error.hpp"
#include "epara/exec/batch.hpp"

namespace epara::exec {

class Identity {
 public:
  /// Outputs named and typed like `tensors`, which must be at least one.
  Identity(std::vector<TensorSpec> tensors, std::size_t max_batch)
      : tensors_(std::move(tensors)), max_batch_(max_batch) {
    EPARA_EXPECTS(!tensors_.empty(), "identity: give at least one tensor");
    EPARA_EXPECTS(max_batch_ >= 1, "identity: max_batch must be >= 1");
  }

  std::span<const TensorSpec> inputs() const { return tensors_; }
  std::span<const TensorSpec> outputs() const { return tensors_; }
  std::size_t max_batch() const { return max_batch_; }
  Bytes memory() const { return Bytes{0}; }

  void forward(Batch& batch) {
    for (std::size_t item = 0; item < batch.size(); ++item)
      for (std::size_t t = 0; t < tensors_.size(); ++t)
        batch.output(item, t) = batch.input(item, t);
  }

 private:
  std::vector<TensorSpec> tensors_;
  std::size_t max_batch_;
};

}  // namespace epara::exec
