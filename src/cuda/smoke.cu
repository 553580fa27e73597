// The first CUDA code of libepara: a device query and a vector addition that prove the
// toolchain, the architecture flags and the error helpers work end to end.

#include <memory>

#include "cuda_try.hpp"
#include "epara/cuda/runtime.hpp"

namespace epara::cuda {
namespace {

__global__ void add_kernel(const float* a, const float* b, float* out, std::size_t n) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

struct DeviceFree {
  void operator()(float* p) const noexcept { cudaFree(p); }
};
using DeviceBuffer = std::unique_ptr<float, DeviceFree>;

DeviceBuffer device_alloc(std::size_t n) {
  void* p = nullptr;
  EPARA_CUDA_TRY(cudaMalloc(&p, n * sizeof(float)));
  return DeviceBuffer(static_cast<float*>(p));
}

}  // namespace

DeviceQuery query_devices() noexcept {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return {0, std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status)};
  }
  if (count == 0) return {0, "no CUDA-capable device"};
  return {count, std::to_string(count) + " device(s)"};
}

std::string device_name(int device) {
  cudaDeviceProp properties{};
  EPARA_CUDA_TRY(cudaGetDeviceProperties(&properties, device));
  return properties.name;
}

std::vector<float> add_on_device(std::span<const float> a, std::span<const float> b) {
  EPARA_EXPECTS(a.size() == b.size(), "add_on_device: inputs differ in size");
  const std::size_t n = a.size();
  std::vector<float> out(n);
  if (n == 0) return out;
  DeviceBuffer da = device_alloc(n), db = device_alloc(n), dout = device_alloc(n);
  EPARA_CUDA_TRY(cudaMemcpy(da.get(), a.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  EPARA_CUDA_TRY(cudaMemcpy(db.get(), b.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  constexpr unsigned threads = 256;
  const auto blocks = static_cast<unsigned>((n + threads - 1) / threads);
  add_kernel<<<blocks, threads>>>(da.get(), db.get(), dout.get(), n);
  EPARA_CUDA_TRY(cudaGetLastError());
  EPARA_CUDA_TRY(cudaMemcpy(out.data(), dout.get(), n * sizeof(float), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace epara::cuda
