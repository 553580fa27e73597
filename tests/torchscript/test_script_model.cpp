// TorchScript models through every executor: each item's outputs equal a direct libtorch call
// on that item alone. The modules are scripted here in C++ (Module::define) and saved as
// model.pt, so the tests need libtorch only, not Python.
#include <torch/script.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/multi_frame_executor.hpp"
#include "epara/exec/multi_task_executor.hpp"
#include "epara/exec/random_inputs.hpp"
#include "epara/torchscript/script_model.hpp"
#include "temp_dir.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using epara::torchscript::ScriptModel;

namespace {

using test::TempDir;

// x [4] -> relu(x W + b) [3], weights that matter, and with `with_sum` also sum(x) [1].
std::filesystem::path save_dense(const std::filesystem::path& dir, bool with_sum) {
  ::torch::manual_seed(7);
  ::torch::jit::Module m("Dense");
  m.register_parameter("w", ::torch::randn({4, 3}), false);
  m.register_parameter("b", ::torch::randn({3}), false);
  m.define(
      std::string("def forward(self, x):\n    y = torch.relu(torch.matmul(x, self.w) + self.b)\n") +
      (with_sum ? "    return y, x.sum(1, keepdim=True)\n" : "    return y\n"));
  const auto file = dir / (with_sum ? "two_heads.pt" : "dense.pt");
  m.save(file.string());
  return file;
}

// y [3] -> 2 y + 1 [3]: a second stage for the first model's first output.
std::filesystem::path save_affine(const std::filesystem::path& dir) {
  ::torch::jit::Module m("Affine");
  m.define(R"(
def forward(self, y):
    return 2.0 * y + 1.0
)");
  const auto file = dir / "affine.pt";
  m.save(file.string());
  return file;
}

// tokens INT64 [-1] -> (their sum INT64 [1], their count INT32 [1]): items of any length.
std::filesystem::path save_token_sum(const std::filesystem::path& dir) {
  ::torch::jit::Module m("TokenSum");
  m.define(R"(
def forward(self, tokens):
    total = tokens.sum(1, keepdim=True)
    return total, torch.zeros_like(total).int() + tokens.size(1)
)");
  const auto file = dir / "token_sum.pt";
  m.save(file.string());
  return file;
}

const std::vector<TensorSpec> two_heads_in{fp32_vector("x", 4)};
const std::vector<TensorSpec> two_heads_out{fp32_vector("y", 3), fp32_vector("s", 1)};

// The module called directly on one item: what every executor must reproduce.
std::vector<Tensor> direct(const std::filesystem::path& file, const std::vector<Tensor>& item) {
  auto m = ::torch::jit::load(file.string());
  std::vector<::torch::jit::IValue> args;
  for (const Tensor& t : item) {
    const auto v = t.values<float>();
    args.emplace_back(
        ::torch::from_blob(const_cast<float*>(v.data()), {1, static_cast<std::int64_t>(v.size())})
            .clone());
  }
  const auto result = m.forward(args);
  std::vector<::torch::Tensor> outs;
  if (result.isTensor())
    outs.push_back(result.toTensor());
  else
    for (const auto& e : result.toTupleRef().elements()) outs.push_back(e.toTensor());
  std::vector<Tensor> back;
  for (const auto& o : outs) {
    const auto c = o.contiguous();
    back.push_back(
        Tensor::of(std::span<const float>(c.data_ptr<float>(), static_cast<std::size_t>(c.numel())),
                   Shape(c.sizes().begin() + 1, c.sizes().end())));
  }
  return back;
}

void expect_close(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    REQUIRE(got[k].shape() == want[k].shape());
    const auto a = got[k].values<float>(), b = want[k].values<float>();
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(b[i]).epsilon(1e-5));
  }
}

// Random items submitted to `submit`; each result checked against `expected(item)`.
template <class Submit, class Expected>
void check_items(std::size_t count, Submit&& submit, Expected&& expected) {
  const auto items = random_items(two_heads_in, count, {}, 3);
  std::vector<std::future<Result>> futures;
  for (std::size_t i = 0; i < items.size(); ++i)
    futures.push_back(submit(Item{items[i], now() + 30s, i % 3}));
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Result r = futures[i].get();
    INFO(r.detail);
    REQUIRE(r.outcome == Outcome::InSlo);
    expect_close(r.outputs, expected(items[i]));
  }
}

}  // namespace

TEST_CASE("a TorchScript model's outputs through every executor equal a direct libtorch call",
          "[torchscript]") {
  TempDir dir;
  const auto file = save_dense(dir.path, true);
  const auto model = [&] { return ScriptModel(file, two_heads_in, two_heads_out, 8); };
  const auto want = [&](const std::vector<Tensor>& item) { return direct(file, item); };
  CHECK(model().memory() == Bytes{(12 + 3) * 4});

  SECTION("batching") {
    BatchingExecutor exec(model(), BatchPolicy{8, 2ms});
    check_items(
        40, [&](Item i) { return exec.submit(std::move(i)); }, want);
  }
  SECTION("multi-frame") {
    MultiFrameExecutor exec(model(), 4, 2ms);
    check_items(
        30, [&](Item i) { return exec.submit(std::move(i)); }, want);
  }
  SECTION("data-parallel") {
    std::vector<ScriptModel> replicas;
    replicas.push_back(model());
    replicas.push_back(model());
    DataParallelExecutor exec(std::move(replicas), BatchPolicy{4, 2ms});
    check_items(
        40, [&](Item i) { return exec.submit(std::move(i)); }, want);
  }
  SECTION("multi-task") {
    MultiTaskExecutor exec(1);
    const std::size_t a = exec.add_task(model(), BatchPolicy{4, 2ms});
    const std::size_t b = exec.add_task(model(), BatchPolicy{8, 2ms}, 1);
    check_items(
        40, [&](Item i) { return exec.submit(i.stream % 2 == 0 ? a : b, std::move(i)); }, want);
  }
  SECTION("model-parallel: a second module takes the first one's output") {
    const auto dense = save_dense(dir.path, false), affine = save_affine(dir.path);
    std::vector<ScriptModel> stages;
    stages.emplace_back(dense, two_heads_in, std::vector<TensorSpec>{fp32_vector("y", 3)}, 8);
    stages.emplace_back(affine, std::vector<TensorSpec>{fp32_vector("y", 3)},
                        std::vector<TensorSpec>{fp32_vector("z", 3)}, 8);
    ModelParallelExecutor exec(std::move(stages), BatchPolicy{4, 2ms});
    check_items(
        30, [&](Item i) { return exec.submit(std::move(i)); },
        [&](const std::vector<Tensor>& item) {
          return direct(affine, {direct(dense, item).at(0)});
        });
  }
}

TEST_CASE("a TorchScript model takes integer tokens of any length in one pass", "[torchscript]") {
  TempDir dir;
  const std::vector<TensorSpec> in{{"tokens", DType::INT64, {TensorSpec::any}}};
  const std::vector<TensorSpec> out{{"sum", DType::INT64, {1}}, {"count", DType::INT32, {1}}};
  BatchingExecutor exec(ScriptModel(save_token_sum(dir.path), in, out, 16), BatchPolicy{16, 20ms});
  std::mt19937 rng(5);
  std::vector<std::vector<std::int64_t>> sent;
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 30; ++i) {
    std::vector<std::int64_t> tokens(std::uniform_int_distribution<std::size_t>(0, 6)(rng));
    for (auto& t : tokens) t = std::uniform_int_distribution<std::int64_t>(-1000, 1000)(rng);
    sent.push_back(tokens);
    futures.push_back(exec.submit({{Tensor::of(tokens)}, now() + 30s}));
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Result r = futures[i].get();
    INFO(r.detail);
    REQUIRE(r.outcome == Outcome::InSlo);
    CHECK(r.outputs[0].values<std::int64_t>()[0] ==
          std::accumulate(sent[i].begin(), sent[i].end(), std::int64_t{0}));
    CHECK(r.outputs[1].values<std::int32_t>()[0] == static_cast<std::int32_t>(sent[i].size()));
  }
}

TEST_CASE("a TorchScript model that breaks its declaration fails with a clear error",
          "[torchscript]") {
  TempDir dir;
  const auto file = save_dense(dir.path, true);
  CHECK_THROWS_WITH(
      ScriptModel(dir.path / "missing.pt", two_heads_in, two_heads_out, 8),
      Catch::StartsWith((dir.path / "missing.pt").string() + ": libtorch cannot load it"));
  CHECK_THROWS_WITH(ScriptModel(file, {{"x", DType::BYTES, {1}}}, two_heads_out, 8),
                    "torchscript: 'x' is BYTES, which TorchScript has no tensor type for");
  // Declared to give INT64: the pass fails as model-error, naming the output.
  BatchingExecutor exec(
      ScriptModel(file, two_heads_in, {{"y", DType::INT64, {3}}, fp32_vector("s", 1)}, 8),
      BatchPolicy{8, 0ms});
  const Result r = exec.submit({{Tensor::of(std::vector<float>{1, 2, 3, 4})}, now() + 30s}).get();
  CHECK(r.reason == RejectReason::ModelError);
  CHECK_THAT(r.detail, Catch::StartsWith("torchscript: output 'y' is Float 1x3, declared"));
  // Declared with one output where it returns two.
  BatchingExecutor one(ScriptModel(file, two_heads_in, {fp32_vector("y", 3)}, 8),
                       BatchPolicy{8, 0ms});
  CHECK(one.submit({{Tensor::of(std::vector<float>{1, 2, 3, 4})}, now() + 30s}).get().detail ==
        "torchscript: forward returned 2 tensors, 1 declared");
}
