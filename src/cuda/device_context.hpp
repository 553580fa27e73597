#pragma once
// What every CUDA model holds: its device, a prioritized stream, a cuBLAS handle bound to the
// stream, and device arrays. RAII throughout; errors become CudaError naming the call.

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cuda_try.hpp"
#include "epara/cuda/runtime.hpp"
#include "epara/cuda/stream_options.hpp"
#include "epara/units.hpp"

#define EPARA_CUBLAS_TRY(call)                                                             \
  do {                                                                                     \
    const cublasStatus_t epara_blas_ = (call);                                             \
    if (epara_blas_ != CUBLAS_STATUS_SUCCESS)                                              \
      throw ::epara::CudaError(std::string(#call) +                                        \
                               " failed: " + cublasGetStatusString(epara_blas_) + " at " + \
                               __FILE__ + ":" + std::to_string(__LINE__));                 \
  } while (false)

namespace epara::cuda::detail {

/// Throws unless `device` is a usable CUDA device.
inline void expect_device(int device) {
  const DeviceQuery q = query_devices();
  if (q.count == 0) throw CudaError("no CUDA device: " + q.detail);
  EPARA_EXPECTS(device >= 0 && device < q.count, "CUDA device " + std::to_string(device) +
                                                     " does not exist (" + std::to_string(q.count) +
                                                     " present)");
}

class DeviceContext {
 public:
  explicit DeviceContext(StreamOptions options) : device_(options.device) {
    expect_device(device_);
    EPARA_CUDA_TRY(cudaSetDevice(device_));
    int least = 0, greatest = 0;  // greatest priority is the numerically lowest
    EPARA_CUDA_TRY(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    const int priority = std::clamp(least - options.priority, greatest, least);
    EPARA_CUDA_TRY(cudaStreamCreateWithPriority(&stream_, cudaStreamNonBlocking, priority));
    if (const cublasStatus_t s = cublasCreate(&blas_); s != CUBLAS_STATUS_SUCCESS) {
      cudaStreamDestroy(stream_);
      EPARA_CUBLAS_TRY(s);
    }
    EPARA_CUBLAS_TRY(cublasSetStream(blas_, stream_));
    EPARA_CUBLAS_TRY(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH));  // true fp32, no TF32
  }
  ~DeviceContext() {
    if (blas_) cublasDestroy(blas_);
    if (stream_) cudaStreamDestroy(stream_);
  }
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  int device() const noexcept { return device_; }
  cudaStream_t stream() const noexcept { return stream_; }
  cublasHandle_t blas() const noexcept { return blas_; }
  void activate() const { EPARA_CUDA_TRY(cudaSetDevice(device_)); }
  void synchronize() const { EPARA_CUDA_TRY(cudaStreamSynchronize(stream_)); }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

/// A float array in device memory.
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) : size_(n) {
    void* p = nullptr;
    if (n > 0) EPARA_CUDA_TRY(cudaMalloc(&p, n * sizeof(float)));
    data_ = static_cast<float*>(p);
  }
  DeviceArray(std::span<const float> host, cudaStream_t stream) : DeviceArray(host.size()) {
    upload(host, stream);
  }
  ~DeviceArray() {
    if (data_) cudaFree(data_);
  }
  DeviceArray(DeviceArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceArray& operator=(DeviceArray&&) = delete;
  DeviceArray(const DeviceArray&) = delete;

  void upload(std::span<const float> host, cudaStream_t stream) {
    EPARA_CUDA_TRY(cudaMemcpyAsync(data_, host.data(), host.size() * sizeof(float),
                                   cudaMemcpyHostToDevice, stream));
  }
  void download(std::span<float> host, cudaStream_t stream) const {
    EPARA_CUDA_TRY(cudaMemcpyAsync(host.data(), data_, host.size() * sizeof(float),
                                   cudaMemcpyDeviceToHost, stream));
  }
  float* get() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  Bytes bytes() const noexcept { return Bytes{static_cast<std::int64_t>(size_ * sizeof(float))}; }

 private:
  float* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Checks a forward call's sizes against the model's (the same message on both backends).
inline void expect_forward(const char* model, std::size_t n, std::size_t max_batch, std::size_t in,
                           std::size_t in_size, std::size_t out, std::size_t out_size) {
  EPARA_EXPECTS(n >= 1 && n <= max_batch && in == n * in_size && out == n * out_size,
                std::string(model) + ": forward of " + std::to_string(n) + " items with " +
                    std::to_string(in) + " inputs and " + std::to_string(out) + " outputs");
}

}  // namespace epara::cuda::detail
