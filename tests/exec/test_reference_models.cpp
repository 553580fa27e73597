// The CPU reference models against loops written out here, on random inputs.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "epara/exec/reference/cpu_attention.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"

using namespace epara;
using namespace epara::exec;

namespace {
std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = value(rng);
  return v;
}
float at(const std::vector<float>& m, std::size_t rows, std::size_t r, std::size_t c) {
  return m[c * rows + r];  // column-major
}
}  // namespace

TEST_CASE("dense chain = W x + b with ReLU between layers", "[exec]") {
  const DenseChainWeights w = make_dense_chain({5, 7, 3}, 2);
  REQUIRE(w.layers.size() == 2);
  CHECK(w.layers[0].relu);
  CHECK_FALSE(w.layers[1].relu);
  CHECK(w.bytes().count == static_cast<std::int64_t>((5 * 7 + 7 + 7 * 3 + 3) * sizeof(float)));
  CpuDenseChain model(w, 4);
  const std::vector<float> in = random_values(5 * 4, 7);
  std::vector<float> out(3 * 4);
  model.forward(in, out, 4);
  for (std::size_t item = 0; item < 4; ++item) {
    std::vector<double> h(7);
    for (std::size_t o = 0; o < 7; ++o) {
      double s = w.layers[0].bias[o];
      for (std::size_t i = 0; i < 5; ++i) s += at(w.layers[0].weight, 7, o, i) * in[item * 5 + i];
      h[o] = std::max(0.0, s);
    }
    for (std::size_t o = 0; o < 3; ++o) {
      double s = w.layers[1].bias[o];
      for (std::size_t i = 0; i < 7; ++i) s += at(w.layers[1].weight, 3, o, i) * h[i];
      CHECK(out[item * 3 + o] == Approx(s).margin(1e-5));
    }
  }
}

TEST_CASE("attention = Wo (V softmax(K^T Q / sqrt d)) + X", "[exec]") {
  const std::size_t t = 5, d = 4;
  const AttentionWeights w = make_attention(t, d, 4);
  CpuAttention model(w, 2);
  const std::vector<float> in = random_values(t * d * 2, 8);
  std::vector<float> out(t * d * 2);
  model.forward(in, out, 2);
  auto project = [&](const std::vector<float>& m, const float* x, std::size_t tok, std::size_t r) {
    double s = 0;
    for (std::size_t i = 0; i < d; ++i) s += at(m, d, r, i) * x[tok * d + i];
    return s;
  };
  for (std::size_t item = 0; item < 2; ++item) {
    const float* x = in.data() + item * t * d;
    for (std::size_t qi = 0; qi < t; ++qi) {
      std::vector<double> score(t);
      double top = -1e30, total = 0;
      for (std::size_t kj = 0; kj < t; ++kj) {
        double s = 0;
        for (std::size_t r = 0; r < d; ++r) s += project(w.wk, x, kj, r) * project(w.wq, x, qi, r);
        score[kj] = s / std::sqrt(static_cast<double>(d));
        top = std::max(top, score[kj]);
      }
      for (double& s : score) total += (s = std::exp(s - top));
      std::vector<double> o(d, 0.0);
      for (std::size_t r = 0; r < d; ++r)
        for (std::size_t kj = 0; kj < t; ++kj) o[r] += project(w.wv, x, kj, r) * score[kj] / total;
      for (std::size_t r = 0; r < d; ++r) {
        double y = x[qi * d + r];
        for (std::size_t i = 0; i < d; ++i) y += at(w.wo, d, r, i) * o[i];
        CHECK(out[item * t * d + qi * d + r] == Approx(y).margin(1e-5));
      }
    }
  }
}

TEST_CASE("reference weights are deterministic per seed and split into stages", "[exec]") {
  CHECK(make_dense_chain({4, 4}, 1).layers[0].weight ==
        make_dense_chain({4, 4}, 1).layers[0].weight);
  CHECK(make_dense_chain({4, 4}, 1).layers[0].weight !=
        make_dense_chain({4, 4}, 2).layers[0].weight);
  const DenseChainWeights w = make_dense_chain({8, 8, 8, 8, 8, 8}, 3);  // 5 layers
  const auto stages = split_stages(w, 2);
  CHECK(stages[0].layers.size() + stages[1].layers.size() == 5);
  CHECK(stages[0].layers.front().weight == w.layers.front().weight);
  CHECK(stages[1].layers.back().weight == w.layers.back().weight);
  CHECK_THROWS_WITH(split_stages(w, 6), "dense chain: cannot split 5 layers into 6 stages");
  CHECK_THROWS_WITH(make_dense_chain({4}, 1),
                    "dense chain: give at least an input and an output width");
  CpuDenseChain model(w, 2);
  std::vector<float> in(8 * 3), out(8 * 3);
  CHECK_THROWS_WITH(model.forward(in, out, 3),
                    "dense chain: forward of 3 items with 24 inputs and 24 outputs");
}
