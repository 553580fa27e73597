#include <random>

#include <catch2/catch.hpp>

#include "epara/cuda/runtime.hpp"
#include "epara/error.hpp"

TEST_CASE("a kernel adds random vectors exactly", "[gpu]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(-1000.0f, 1000.0f);
  for (std::size_t n : {std::size_t{1}, std::size_t{255}, std::size_t{1} << 20}) {
    std::vector<float> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = value(rng), b[i] = value(rng);
    const auto sum = epara::cuda::add_on_device(a, b);
    REQUIRE(sum.size() == n);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(sum[i] == a[i] + b[i]);  // one IEEE add each
  }
}

TEST_CASE("mismatched sizes are rejected before touching the device", "[gpu]") {
  const std::vector<float> a(3), b(4);
  CHECK_THROWS_AS(epara::cuda::add_on_device(a, b), epara::InvalidArgument);
}
