#pragma once
// A TorchScript model (a model.pt from torch.jit.script or torch.jit.trace) as an exec::Model:
// libtorch runs it on the CPU, or on a GPU where libtorch was built with CUDA. The tensors it
// takes and gives are declared (a model repository's config.json), since a TorchScript file
// does not say them; every pass checks the module keeps to them. Host-only header: libtorch
// stays inside the library.

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "epara/exec/batch.hpp"
#include "epara/units.hpp"

namespace epara::torchscript {

class ScriptModel {
 public:
  /// Loads `file` for `device` (-1: the CPU; i: GPU i). Throws InvalidArgument for a file
  /// libtorch cannot load, a BYTES tensor (TorchScript has no strings), or a GPU that this
  /// libtorch cannot use.
  ScriptModel(const std::filesystem::path& file, std::vector<exec::TensorSpec> inputs,
              std::vector<exec::TensorSpec> outputs, std::size_t max_batch, int device = -1);
  ~ScriptModel();
  ScriptModel(ScriptModel&&) noexcept;
  ScriptModel& operator=(ScriptModel&&) noexcept;

  std::span<const exec::TensorSpec> inputs() const { return inputs_; }
  std::span<const exec::TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const { return max_batch_; }
  Bytes memory() const;  ///< its parameters and buffers

  /// Items whose free dimensions agree run as one batched call, [n, dims...] per input;
  /// others as one call per group of equal shapes. The module returns a tensor or a tuple of
  /// tensors, one per declared output, [n, dims...] each.
  void forward(exec::Batch& batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<exec::TensorSpec> inputs_, outputs_;
  std::size_t max_batch_;
};

/// Whether this build's libtorch can run on a GPU.
bool cuda_available();

/// "libtorch 1.13.0": the library this backend runs on.
std::string library_version();

}  // namespace epara::torchscript
