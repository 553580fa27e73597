#include "epara/torchscript/script_model.hpp"

#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cstring>
#include <map>

#include "epara/error.hpp"

namespace epara::torchscript {
namespace {

at::ScalarType scalar_type(const exec::TensorSpec& spec) {
  switch (spec.dtype) {
    case exec::DType::FP32:
      return at::kFloat;
    case exec::DType::FP16:
      return at::kHalf;
    case exec::DType::INT64:
      return at::kLong;
    case exec::DType::INT32:
      return at::kInt;
    case exec::DType::UINT8:
      return at::kByte;
    case exec::DType::BYTES:
      break;
  }
  throw InvalidArgument(fmt::format(
      "torchscript: '{}' is BYTES, which TorchScript has no tensor type for", spec.name));
}

}  // namespace

struct ScriptModel::Impl {
  ::torch::jit::script::Module module;
  ::torch::Device device{::torch::kCPU};
};

ScriptModel::ScriptModel(const std::filesystem::path& file, std::vector<exec::TensorSpec> inputs,
                         std::vector<exec::TensorSpec> outputs, std::size_t max_batch, int device)
    : impl_(std::make_unique<Impl>()),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      max_batch_(max_batch) {
  EPARA_EXPECTS(max_batch_ >= 1, "torchscript: max_batch must be >= 1");
  EPARA_EXPECTS(!inputs_.empty() && !outputs_.empty(),
                "torchscript: declare at least one input and one output");
  for (const auto* specs : {&inputs_, &outputs_})
    for (const exec::TensorSpec& s : *specs) scalar_type(s);  // BYTES throws
  if (device >= 0) {
    EPARA_EXPECTS(cuda_available() && device < static_cast<int>(::torch::cuda::device_count()),
                  fmt::format("torchscript: no GPU {} for this libtorch (CUDA {})", device,
                              cuda_available() ? "available" : "not available"));
    impl_->device = ::torch::Device(::torch::kCUDA, static_cast<c10::DeviceIndex>(device));
  }
  try {
    impl_->module = ::torch::jit::load(file.string(), impl_->device);
  } catch (const c10::Error& e) {
    throw InvalidArgument(
        fmt::format("{}: libtorch cannot load it: {}", file.string(), e.what_without_backtrace()));
  }
  impl_->module.eval();
}

ScriptModel::~ScriptModel() = default;
ScriptModel::ScriptModel(ScriptModel&&) noexcept = default;
ScriptModel& ScriptModel::operator=(ScriptModel&&) noexcept = default;

Bytes ScriptModel::memory() const {
  std::int64_t bytes = 0;
  for (const auto& p : impl_->module.parameters()) bytes += static_cast<std::int64_t>(p.nbytes());
  for (const auto& b : impl_->module.buffers()) bytes += static_cast<std::int64_t>(b.nbytes());
  return Bytes{bytes};
}

void ScriptModel::forward(exec::Batch& batch) {
  const ::torch::NoGradGuard no_grad;
  // Items grouped by their inputs' shapes: a group is one batched call.
  std::map<std::vector<exec::Shape>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::vector<exec::Shape> shapes;
    for (std::size_t j = 0; j < inputs_.size(); ++j) shapes.push_back(batch.input(i, j).shape());
    groups[shapes].push_back(i);
  }
  for (const auto& [shapes, items] : groups) {
    const auto n = static_cast<std::int64_t>(items.size());
    std::vector<::torch::jit::IValue> args;
    for (std::size_t j = 0; j < inputs_.size(); ++j) {
      std::vector<std::int64_t> sizes{n};
      sizes.insert(sizes.end(), shapes[j].begin(), shapes[j].end());
      ::torch::Tensor t = ::torch::empty(sizes, ::torch::dtype(scalar_type(inputs_[j])));
      auto* at = static_cast<std::byte*>(t.data_ptr());
      for (std::size_t i : items) {
        const auto bytes = batch.input(i, j).bytes();
        if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
        at += bytes.size();
      }
      args.emplace_back(t.to(impl_->device));
    }
    const ::torch::jit::IValue result = impl_->module.forward(args);
    std::vector<::torch::Tensor> outs;
    if (result.isTensor())
      outs.push_back(result.toTensor());
    else if (result.isTuple())
      for (const auto& v : result.toTupleRef().elements()) outs.push_back(v.toTensor());
    else if (result.isTensorList())
      for (const ::torch::Tensor& v : result.toTensorVector()) outs.push_back(v);
    else
      throw Error(fmt::format("torchscript: forward returned a {}, not tensors", result.tagKind()));
    if (outs.size() != outputs_.size())
      throw Error(fmt::format("torchscript: forward returned {} tensors, {} declared", outs.size(),
                              outputs_.size()));
    for (std::size_t k = 0; k < outs.size(); ++k) {
      const ::torch::Tensor out = outs[k].to(::torch::kCPU).contiguous();
      if (out.scalar_type() != scalar_type(outputs_[k]) || out.dim() < 1 || out.size(0) != n)
        throw Error(fmt::format("torchscript: output '{}' is {} {}, declared [{} items, {}] of {}",
                                outputs_[k].name, c10::toString(out.scalar_type()),
                                fmt::join(out.sizes(), "x"), n, fmt::join(outputs_[k].shape, ", "),
                                to_string(outputs_[k].dtype)));
      const exec::Shape dims(out.sizes().begin() + 1, out.sizes().end());
      const std::size_t each = out.nbytes() / items.size();
      const auto* from = static_cast<const std::byte*>(out.data_ptr());
      for (std::size_t g = 0; g < items.size(); ++g)
        batch.output(items[g], k) =
            exec::Tensor(outputs_[k].dtype, dims,
                         std::vector<std::byte>(from + g * each, from + (g + 1) * each));
    }
  }
}

bool cuda_available() { return ::torch::cuda::is_available(); }

std::string library_version() { return "libtorch " TORCH_VERSION; }

}  // namespace epara::torchscript
