#pragma once
// Submits random items to an executor and checks every output against a reference model run
// on each item alone: same numbers, in SLO, numbered in submission order.

#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "epara/exec/item.hpp"

namespace epara::test {

template <class Executor, class Reference>
void expect_matches_reference(Executor& exec, Reference& reference, std::size_t items,
                              unsigned seed) {
  using namespace std::chrono_literals;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  std::vector<std::vector<float>> inputs(items, std::vector<float>(reference.input_size()));
  std::vector<std::future<exec::Result>> futures;
  for (auto& in : inputs) {
    for (float& x : in) x = value(rng);
    futures.push_back(
        exec.submit({{exec::Tensor::of(in, reference.inputs()[0].shape)}, exec::now() + 10s, 0}));
  }
  for (std::size_t i = 0; i < items; ++i) {
    const exec::Result r = futures[i].get();
    REQUIRE(r.outcome == exec::Outcome::InSlo);
    REQUIRE(r.sequence == i);
    std::vector<float> expected(reference.output_size());
    reference.forward(inputs[i], expected, 1);
    REQUIRE(r.outputs.size() == 1);
    REQUIRE(r.outputs[0].shape() == reference.outputs()[0].shape);
    const auto got = r.outputs[0].values<float>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t j = 0; j < expected.size(); ++j)
      REQUIRE(got[j] == Approx(expected[j]).epsilon(1e-5));
  }
}

}  // namespace epara::test
