#pragma once
// What a model declares of each input and output: its name, element type and one item's shape,
// where a dimension may be left free (tokens of any length). Executors check every item
// against it on entry, and every output after a pass, so a mismatch is a clear rejection
// naming the tensor, not a model reading past a buffer.

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "epara/exec/tensor.hpp"

namespace epara::exec {

struct TensorSpec {
  /// A dimension of any length (an item's token count).
  static constexpr std::int64_t any = -1;

  std::string name;
  DType dtype = DType::FP32;
  Shape shape;  ///< one item's, without the batch dimension; `any` where it varies

  /// Every item's tensor has the same byte size: no free dimension, not BYTES.
  bool fixed_size() const noexcept {
    if (dtype == DType::BYTES) return false;
    for (std::int64_t d : shape)
      if (d == any) return false;
    return true;
  }

  /// " (-1: any length)" when the shape has a free dimension, for messages that print it.
  std::string_view free_note() const noexcept {
    return std::ranges::find(shape, any) == shape.end() ? "" : " (-1: any length)";
  }

  /// Why `t` does not fit this spec, or nothing when it does.
  std::optional<std::string> mismatch(const Tensor& t) const {
    if (t.dtype() != dtype)
      return fmt::format("'{}' is {}, the model takes {}", name, to_string(t.dtype()),
                         to_string(dtype));
    bool fits = t.shape().size() == shape.size();
    for (std::size_t i = 0; fits && i < shape.size(); ++i)
      fits = shape[i] == any || shape[i] == t.shape()[i];
    if (!fits)
      return fmt::format("'{}' has shape [{}], the model takes [{}]{}", name,
                         fmt::join(t.shape(), ", "), fmt::join(shape, ", "), free_note());
    return std::nullopt;
  }

  friend bool operator==(const TensorSpec&, const TensorSpec&) = default;
};

/// "'name' FP32 [4, -1], ...": specs as messages name them.
inline std::string describe(std::span<const TensorSpec> specs) {
  std::string out;
  for (const TensorSpec& s : specs)
    out += fmt::format("{}'{}' {} [{}]", out.empty() ? "" : ", ", s.name, to_string(s.dtype),
                       fmt::join(s.shape, ", "));
  return out;
}

/// An FP32 vector of `size` elements: the reference models' one input and one output.
inline TensorSpec fp32_vector(std::string name, std::size_t size) {
  return {std::move(name), DType::FP32, {static_cast<std::int64_t>(size)}};
}

/// Why `tensors` do not fit `specs` (count, then each in order), or nothing when they do.
/// `what` names them in the message ("input", "output of stage 1").
inline std::optional<std::string> mismatch(std::span<const TensorSpec> specs,
                                           std::span<const Tensor> tensors, std::string_view what) {
  if (specs.size() != tensors.size())
    return fmt::format("{} {} tensors, the model takes {}", tensors.size(), what, specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (auto why = specs[i].mismatch(tensors[i])) return fmt::format("{} {}", what, *why);
  return std::nullopt;
}

}  // namespace epara::exec
