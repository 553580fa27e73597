#pragma once
// Host-side entry points of epara::cuda (built only when a CUDA compiler is found). No device
// code here: consumers of this header need no nvcc.

#include <span>
#include <string>
#include <vector>

namespace epara::cuda {

/// The CUDA devices this process can use.
struct DeviceQuery {
  int count = 0;
  std::string detail;  ///< why count is 0 ("no CUDA-capable device", "driver missing" ...)
};

/// Never throws: a machine without a GPU or driver is a normal answer, not an error.
DeviceQuery query_devices() noexcept;

/// The device's name as the driver reports it ("NVIDIA H100 80GB HBM3"); CudaError if unusable.
std::string device_name(int device);

/// Element-wise a + b computed on device 0: a check that kernels build, launch and return.
/// Throws CudaError when the device cannot be used; InvalidArgument when the sizes differ.
std::vector<float> add_on_device(std::span<const float> a, std::span<const float> b);

}  // namespace epara::cuda
