#pragma once
// Random items for a model's input specs: what the profiler measures with and what a node warms
// a model up with. Latency depends on the shapes, not the values, as long as the values are
// valid (token ids within the vocabulary).

#include <algorithm>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "epara/exec/tensor_spec.hpp"

namespace epara::exec {

struct RandomInputs {
  std::int64_t free_length = 16;  ///< the length of a free dimension (tokens), and of strings
  std::int64_t int_limit = 100;   ///< integers are drawn from [0, int_limit): valid token ids
};

/// Random values of the spec's type: floats in [-1, 1], halves in ±[0.5, 1), integers in
/// [0, int_limit), bytes in [0, 256); free dimensions and strings free_length long.
inline Tensor random_tensor(const TensorSpec& spec, const RandomInputs& s, std::mt19937& rng) {
  Shape shape = spec.shape;
  for (std::int64_t& d : shape)
    if (d == TensorSpec::any) d = s.free_length;
  const std::size_t n = element_count(shape);
  const auto filled = [&]<class T>(auto draw) {
    std::vector<T> v(n);
    for (T& x : v) x = draw();
    return Tensor::of(v, shape);
  };
  std::uniform_int_distribution<std::int64_t> integer(0,
                                                      std::max<std::int64_t>(0, s.int_limit - 1));
  std::uniform_int_distribution<int> byte(0, 255), mantissa(0, 1023), sign(0, 1);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  switch (spec.dtype) {
    case DType::FP32:
      return filled.operator()<float>([&] { return real(rng); });
    case DType::FP16:  // exponent 14: [0.5, 1)
      return filled.operator()<Half>([&] {
        return Half{static_cast<std::uint16_t>(sign(rng) << 15 | 14 << 10 | mantissa(rng))};
      });
    case DType::INT64:
      return filled.operator()<std::int64_t>([&] { return integer(rng); });
    case DType::INT32:
      return filled.operator()<std::int32_t>(
          [&] { return static_cast<std::int32_t>(integer(rng)); });
    case DType::UINT8:
      return filled.operator()<std::uint8_t>([&] { return static_cast<std::uint8_t>(byte(rng)); });
    case DType::BYTES:
      break;
  }
  std::vector<std::string> strings(n);
  for (std::string& str : strings)
    for (std::int64_t i = 0; i < s.free_length; ++i) str.push_back(static_cast<char>(byte(rng)));
  return Tensor::strings(strings, shape);
}

/// `count` items of random inputs for `specs`.
inline std::vector<std::vector<Tensor>> random_items(std::span<const TensorSpec> specs,
                                                     std::size_t count, const RandomInputs& s,
                                                     unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<Tensor>> items(count);
  for (auto& item : items)
    for (const TensorSpec& spec : specs) item.push_back(random_tensor(spec, s, rng));
  return items;
}

}  // namespace epara::exec
