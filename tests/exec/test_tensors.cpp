#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <numeric>
#include <random>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/profiler.hpp"
#include "epara/exec/random_inputs.hpp"
#include "epara/exec/reference/identity.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;

namespace {

constexpr DType all_dtypes[] = {DType::FP32,  DType::FP16,  DType::INT64,
                                DType::INT32, DType::UINT8, DType::BYTES};

// The identity model, counting the items of each pass.
class EchoModel {
 public:
  explicit EchoModel(std::vector<TensorSpec> tensors, std::size_t max_batch = 8)
      : identity_(std::move(tensors), max_batch) {}
  std::span<const TensorSpec> inputs() const { return identity_.inputs(); }
  std::span<const TensorSpec> outputs() const { return identity_.outputs(); }
  std::size_t max_batch() const { return identity_.max_batch(); }
  Bytes memory() const { return identity_.memory(); }
  void forward(Batch& batch) {
    passes->push_back(batch.size());
    identity_.forward(batch);
  }
  std::shared_ptr<std::vector<std::size_t>> passes = std::make_shared<std::vector<std::size_t>>();

 private:
  Identity identity_;
};

// One input of every type, fixed and free dimensions mixed.
std::vector<TensorSpec> every_type() {
  return {{"scores", DType::FP32, {2}},
          {"half", DType::FP16, {3}},
          {"tokens", DType::INT64, {TensorSpec::any}},
          {"grid", DType::INT32, {2, 2}},
          {"pixels", DType::UINT8, {4}},
          {"text", DType::BYTES, {TensorSpec::any}}};
}

}  // namespace

TEST_CASE("tensors keep their type, shape and values", "[exec][tensor]") {
  const std::vector<float> f{1.5f, -2.0f};
  const std::vector<std::int64_t> i64{1, -(std::int64_t{1} << 40), 7};
  const std::vector<std::int32_t> i32{-3, 4};
  const std::vector<std::uint8_t> u8{0, 255, 9};
  const std::vector<Half> h{{0x3c00}, {0xc000}};
  CHECK(std::ranges::equal(Tensor::of(f).values<float>(), f));
  CHECK(std::ranges::equal(Tensor::of(i64).values<std::int64_t>(), i64));
  CHECK(std::ranges::equal(Tensor::of(i32).values<std::int32_t>(), i32));
  CHECK(std::ranges::equal(Tensor::of(u8).values<std::uint8_t>(), u8));
  CHECK(std::ranges::equal(Tensor::of(h).values<Half>(), h));
  CHECK(Tensor::of(i32, Shape{1, 2}).shape() == Shape{1, 2});
  CHECK(Tensor::of(i64).bytes().size() == 24);

  const Tensor text = Tensor::strings({"", "héllo", std::string("a\0b", 3)});
  CHECK(text.dtype() == DType::BYTES);
  CHECK(text.shape() == Shape{3});
  const auto strings = text.strings();
  REQUIRE(strings.size() == 3);
  CHECK(strings[0].empty());
  CHECK(strings[1] == "héllo");
  CHECK(strings[2] == std::string_view("a\0b", 3));
  CHECK(text.bytes().size() == 3 * 4 + 0 + 6 + 3);

  for (DType t : all_dtypes) CHECK(dtype_named(to_string(t)) == t);
  CHECK_FALSE(dtype_named("FP64"));
  CHECK_FALSE(dtype_named("fp32"));
  CHECK(element_bytes(DType::FP16) == 2);
  CHECK(element_bytes(DType::BYTES) == 0);
}

TEST_CASE("a tensor refuses bytes that do not match its shape", "[exec][tensor]") {
  CHECK_THROWS_WITH(Tensor(DType::FP32, {2, 2}, std::vector<std::byte>(12)),
                    "tensor: FP32 of shape [2, 2] takes 16 bytes, got 12");
  CHECK_THROWS_WITH(Tensor(DType::INT32, {-1}, {}), "tensor: dimension -1 in shape [-1]");
  CHECK_THROWS_WITH(Tensor::of(std::vector<float>{1, 2, 3}, Shape{2}),
                    "tensor: FP32 of shape [2] takes 8 bytes, got 12");
  // BYTES: a length that overruns, bytes left over, fewer strings than the shape says.
  std::vector<std::byte> overrun(4);
  overrun[0] = std::byte{9};
  CHECK_THROWS_WITH(Tensor(DType::BYTES, {1}, overrun),
                    "tensor: BYTES of shape [1] needs 1 length-prefixed strings in its 4 bytes");
  CHECK_THROWS(Tensor(DType::BYTES, {1}, std::vector<std::byte>(6)));
  CHECK_THROWS(Tensor(DType::BYTES, {2}, std::vector<std::byte>(4)));
  CHECK_THROWS_WITH(Tensor::of(std::vector<float>{1}).values<std::int32_t>(),
                    "tensor: read as INT32 but it is FP32");
  CHECK_THROWS_WITH(Tensor::of(std::vector<float>{1}).strings(),
                    "tensor: read as BYTES but it is FP32");
}

TEST_CASE("a spec says why a tensor does not fit", "[exec][tensor]") {
  const TensorSpec tokens{"tokens", DType::INT64, {TensorSpec::any, 2}};
  CHECK_FALSE(tokens.fixed_size());
  CHECK(fp32_vector("x", 3).fixed_size());
  CHECK_FALSE(TensorSpec{"s", DType::BYTES, {1}}.fixed_size());
  CHECK_FALSE(tokens.mismatch(Tensor::of(std::vector<std::int64_t>(10), Shape{5, 2})));
  CHECK_FALSE(tokens.mismatch(Tensor::of(std::vector<std::int64_t>{}, Shape{0, 2})));
  CHECK(tokens.mismatch(Tensor::of(std::vector<std::int32_t>(10), Shape{5, 2})) ==
        "'tokens' is INT32, the model takes INT64");
  CHECK(tokens.mismatch(Tensor::of(std::vector<std::int64_t>(10), Shape{2, 5})) ==
        "'tokens' has shape [2, 5], the model takes [-1, 2] (-1: any length)");
  CHECK(tokens.mismatch(Tensor::of(std::vector<std::int64_t>(10))) ==
        "'tokens' has shape [10], the model takes [-1, 2] (-1: any length)");
  const std::vector<TensorSpec> two{tokens, fp32_vector("x", 1)};
  CHECK(mismatch(two, std::vector<Tensor>{Tensor::of(std::vector<float>{1})}, "input") ==
        "1 input tensors, the model takes 2");
  CHECK(describe(two) == "'tokens' INT64 [-1, 2], 'x' FP32 [1]");
}

TEST_CASE("every type, fixed or of any length, passes through an executor unchanged",
          "[exec][tensor]") {
  EchoModel model(every_type());
  const auto passes = model.passes;
  BatchingExecutor exec(std::move(model), BatchPolicy{8, 20ms});
  // Random items (seeded): random lengths for the free dimensions, random values.
  std::mt19937 rng(11);
  std::vector<std::vector<Tensor>> sent;
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 40; ++i) {
    RandomInputs values;
    values.free_length = std::uniform_int_distribution<std::int64_t>(0, 9)(rng);
    values.int_limit = std::int64_t{1} << 40;
    sent.push_back(random_items(exec.inputs(), 1, values, static_cast<unsigned>(i)).front());
    futures.push_back(exec.submit({sent.back(), now() + 10s}));
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Result r = futures[i].get();
    REQUIRE(r.outcome == Outcome::InSlo);
    CHECK(r.outputs == sent[i]);
  }
  CHECK(std::ranges::any_of(*passes, [](std::size_t n) { return n > 1; }));  // items of
  // different lengths shared passes
}

TEST_CASE("inputs of the wrong type, shape or count are rejected naming the tensor",
          "[exec][tensor]") {
  BatchingExecutor exec(EchoModel(every_type()), BatchPolicy{8, 0ms});
  std::vector<Tensor> good = random_items(exec.inputs(), 1, {}, 1).front();
  const auto rejection = [&](std::vector<Tensor> inputs) {
    const Result r = exec.submit({std::move(inputs), now() + 10s}).get();
    CHECK(r.reason == RejectReason::BadInput);
    return r.detail;
  };
  auto wrong_type = good;
  wrong_type[2] = Tensor::of(std::vector<std::int32_t>{1, 2});
  CHECK(rejection(wrong_type) == "input 'tokens' is INT32, the model takes INT64");
  auto wrong_shape = good;
  wrong_shape[3] = Tensor::of(std::vector<std::int32_t>(4));
  CHECK(rejection(wrong_shape) == "input 'grid' has shape [4], the model takes [2, 2]");
  good.pop_back();
  CHECK(rejection(good) == "5 input tensors, the model takes 6");
}

TEST_CASE("a model whose outputs break its specs fails its pass as model-error", "[exec][tensor]") {
  // Declares an INT64 [2] output but sets whatever it was given.
  class Liar {
   public:
    std::span<const TensorSpec> inputs() const { return in_; }
    std::span<const TensorSpec> outputs() const { return out_; }
    std::size_t max_batch() const { return 4; }
    Bytes memory() const { return Bytes{0}; }
    void forward(Batch& b) {
      for (std::size_t i = 0; i < b.size(); ++i) b.output(i) = b.input(i);
    }

   private:
    std::vector<TensorSpec> in_{{"x", DType::INT64, {TensorSpec::any}}};
    std::vector<TensorSpec> out_{{"y", DType::INT64, {2}}};
  };
  BatchingExecutor exec(Liar{}, BatchPolicy{4, 0ms});
  const Result fits =
      exec.submit({{Tensor::of(std::vector<std::int64_t>{1, 2})}, now() + 10s}).get();
  CHECK(fits.outcome == Outcome::InSlo);
  const Result r =
      exec.submit({{Tensor::of(std::vector<std::int64_t>{1, 2, 3})}, now() + 10s}).get();
  CHECK(r.reason == RejectReason::ModelError);
  CHECK(r.detail == "item 0 of the pass: output 'y' has shape [3], the model takes [2]");
  CHECK(exec.counts().finished() == 2);
}

TEST_CASE("stages hand typed tensors on, and the profiler measures any types", "[exec][tensor]") {
  std::vector<EchoModel> stages;
  stages.emplace_back(every_type());
  std::vector<TensorSpec> second = every_type();
  for (TensorSpec& s : second) s.name = "next_" + s.name;  // names may differ between stages
  stages.emplace_back(second);
  ModelParallelExecutor exec(std::move(stages), BatchPolicy{4, 1ms});
  const auto items = random_items(exec.inputs(), 6, {}, 5);
  std::vector<std::future<Result>> futures;
  for (const auto& item : items) futures.push_back(exec.submit({item, now() + 10s}));
  for (std::size_t i = 0; i < items.size(); ++i) CHECK(futures[i].get().outputs == items[i]);

  EchoModel model(every_type());
  ProfileSettings s;
  s.batches = {1, 3};
  s.repeats = 2;
  const auto points = measure_model(model, s);
  REQUIRE(points.size() == 2);
  CHECK(points[1].batch == 3);
  CHECK(*model.passes == std::vector<std::size_t>{1, 1, 1, 1, 1, 3, 3, 3, 3, 3});
}
