#pragma once
// One item's tensor as a model takes or gives it: an element type, a shape and the bytes. The
// element types are the Open Inference Protocol's (what epara-node speaks), so a request's
// tensor becomes an item's without translation.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"

namespace epara::exec {

enum class DType : std::uint8_t { FP32, FP16, INT64, INT32, UINT8, BYTES };

/// The protocol's name: "FP32", "FP16", "INT64", "INT32", "UINT8", "BYTES".
constexpr std::string_view to_string(DType t) noexcept {
  switch (t) {
    case DType::FP32:
      return "FP32";
    case DType::FP16:
      return "FP16";
    case DType::INT64:
      return "INT64";
    case DType::INT32:
      return "INT32";
    case DType::UINT8:
      return "UINT8";
    case DType::BYTES:
      return "BYTES";
  }
  return "?";
}

/// The element type named `name` (as to_string writes it), if there is one.
constexpr std::optional<DType> dtype_named(std::string_view name) noexcept {
  for (DType t : {DType::FP32, DType::FP16, DType::INT64, DType::INT32, DType::UINT8, DType::BYTES})
    if (to_string(t) == name) return t;
  return std::nullopt;
}

/// Bytes per element; 0 for BYTES, whose elements are strings of any length.
constexpr std::size_t element_bytes(DType t) noexcept {
  switch (t) {
    case DType::FP32:
    case DType::INT32:
      return 4;
    case DType::FP16:
      return 2;
    case DType::INT64:
      return 8;
    case DType::UINT8:
      return 1;
    case DType::BYTES:
      return 0;
  }
  return 0;
}

/// An IEEE binary16 number, kept as its bits: C++20 has no half type, and models that take FP16
/// (a TensorRT engine, a half-precision module) read the bits as they are.
struct Half {
  std::uint16_t bits = 0;
  friend bool operator==(Half, Half) = default;
};

template <class T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::FP32;
};
template <>
struct DTypeOf<Half> {
  static constexpr DType value = DType::FP16;
};
template <>
struct DTypeOf<std::int64_t> {
  static constexpr DType value = DType::INT64;
};
template <>
struct DTypeOf<std::int32_t> {
  static constexpr DType value = DType::INT32;
};
template <>
struct DTypeOf<std::uint8_t> {
  static constexpr DType value = DType::UINT8;
};

/// A C++ type that stores one element of a fixed-size DType.
template <class T>
concept Element = requires {
  DTypeOf<T>::value;
};

/// Dimensions, outermost first.
using Shape = std::vector<std::int64_t>;

/// The number of elements of a tensor of these dimensions: their product (1 for a scalar).
inline std::size_t element_count(std::span<const std::int64_t> dims) noexcept {
  std::size_t n = 1;
  for (std::int64_t d : dims) n *= static_cast<std::size_t>(d);
  return n;
}

class Tensor {
 public:
  /// An empty FP32 tensor of shape [0].
  Tensor() = default;

  /// Takes `bytes` as they are. Fixed-size types: elements · element_bytes bytes, little-endian
  /// as this machine stores them. BYTES: each element a 4-byte little-endian length and that
  /// many bytes (the protocol's binary form). Anything else is an InvalidArgument saying so.
  Tensor(DType dtype, Shape shape, std::vector<std::byte> bytes)
      : dtype_(dtype), shape_(std::move(shape)), bytes_(std::move(bytes)) {
    for (std::int64_t d : shape_)
      EPARA_EXPECTS(d >= 0,
                    fmt::format("tensor: dimension {} in shape [{}]", d, fmt::join(shape_, ", ")));
    if (dtype_ == DType::BYTES) {
      EPARA_EXPECTS(string_count() == elements(),
                    fmt::format("tensor: BYTES of shape [{}] needs {} length-prefixed strings in "
                                "its {} bytes",
                                fmt::join(shape_, ", "), elements(), bytes_.size()));
    } else {
      EPARA_EXPECTS(
          bytes_.size() == elements() * element_bytes(dtype_),
          fmt::format("tensor: {} of shape [{}] takes {} bytes, got {}", to_string(dtype_),
                      fmt::join(shape_, ", "), elements() * element_bytes(dtype_), bytes_.size()));
    }
  }

  /// `values` as a tensor of `shape` (by default one dimension, the values' count). Overloads,
  /// not an optional default: GCC 12 warns (maybe-uninitialized) on an empty optional<Shape>
  /// destroyed after inlining.
  template <Element T>
  static Tensor of(std::span<const T> values, Shape shape) {
    std::vector<std::byte> bytes(values.size_bytes());
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return {DTypeOf<T>::value, std::move(shape), std::move(bytes)};
  }
  template <Element T>
  static Tensor of(std::span<const T> values) {
    return of(values, Shape{std::ssize(values)});
  }
  template <Element T>
  static Tensor of(const std::vector<T>& values, Shape shape) {
    return of(std::span<const T>(values), std::move(shape));
  }
  template <Element T>
  static Tensor of(const std::vector<T>& values) {
    return of(std::span<const T>(values));
  }

  /// A BYTES tensor of `strings` (by default one dimension, their count).
  static Tensor strings(const std::vector<std::string>& strings,
                        std::optional<Shape> shape = std::nullopt) {
    std::vector<std::byte> bytes;
    for (const std::string& s : strings) {
      const auto length = static_cast<std::uint32_t>(s.size());
      const auto* l = reinterpret_cast<const std::byte*>(&length);
      bytes.insert(bytes.end(), l, l + sizeof length);
      const auto* c = reinterpret_cast<const std::byte*>(s.data());
      bytes.insert(bytes.end(), c, c + s.size());
    }
    return {DType::BYTES, shape ? std::move(*shape) : Shape{std::ssize(strings)}, std::move(bytes)};
  }

  DType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  /// The product of the dimensions.
  std::size_t elements() const noexcept { return element_count(shape_); }
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  std::span<std::byte> bytes() noexcept { return bytes_; }

  /// The elements as T, which must be the tensor's type (an InvalidArgument otherwise).
  template <Element T>
  std::span<const T> values() const {
    expect_type(DTypeOf<T>::value);
    return {reinterpret_cast<const T*>(bytes_.data()), elements()};
  }
  template <Element T>
  std::span<T> values() {
    expect_type(DTypeOf<T>::value);
    return {reinterpret_cast<T*>(bytes_.data()), elements()};
  }

  /// A BYTES tensor's elements, viewing its bytes.
  std::vector<std::string_view> strings() const {
    expect_type(DType::BYTES);
    std::vector<std::string_view> out;
    for_each_string([&](std::string_view s) { out.push_back(s); });
    return out;
  }

  friend bool operator==(const Tensor&, const Tensor&) = default;

 private:
  void expect_type(DType wanted) const {
    EPARA_EXPECTS(dtype_ == wanted, fmt::format("tensor: read as {} but it is {}",
                                                to_string(wanted), to_string(dtype_)));
  }

  // Calls f on each length-prefixed string; stops at the first length that overruns the bytes.
  // Returns how many it read, or -1 when bytes are left over or a length overruns.
  template <class F>
  std::ptrdiff_t for_each_string(F&& f) const {
    std::size_t at = 0;
    std::ptrdiff_t count = 0;
    while (at < bytes_.size()) {
      std::uint32_t length = 0;
      if (bytes_.size() - at < sizeof length) return -1;
      std::memcpy(&length, bytes_.data() + at, sizeof length);
      at += sizeof length;
      if (bytes_.size() - at < length) return -1;
      f(std::string_view(reinterpret_cast<const char*>(bytes_.data() + at), length));
      at += length;
      ++count;
    }
    return count;
  }
  std::size_t string_count() const {
    const std::ptrdiff_t n = for_each_string([](std::string_view) {});
    return n < 0 ? static_cast<std::size_t>(-1) : static_cast<std::size_t>(n);
  }

  DType dtype_ = DType::FP32;
  Shape shape_{0};
  std::vector<std::byte> bytes_;
};

}  // namespace epara::exec
