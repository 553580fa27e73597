#pragma once
// A model repository as operators lay it out: one folder per model, holding config.json and
// the model file in a version folder, Triton's way:
//
//   repository/
//     mobilenet/config.json      {"platform": "torchscript", "service": "classify",
//     mobilenet/1/model.pt        "max_batch": 32, "memory_mib": 40,
//                                 "inputs": [{"name": "image", "datatype": "FP32",
//                                             "dims": [3, 224, 224]}],
//                                 "outputs": [{"name": "logits", "datatype": "FP32",
//                                              "dims": [1000]}]}
//
// Reading checks everything a node would trip on later, naming the file and field.

#include <filesystem>
#include <string>
#include <vector>

#include "epara/exec/tensor_spec.hpp"
#include "epara/units.hpp"

namespace epara::io {

struct RepositoryModel {
  std::string name;            ///< the folder's name
  std::string platform;        ///< "torchscript"
  std::string service;         ///< the scenario's service it serves
  std::filesystem::path file;  ///< <folder>/1/model.pt, present
  std::vector<exec::TensorSpec> inputs, outputs;
  std::size_t max_batch = 1;
  Bytes memory{};  ///< what it holds on its device, as the config declares
};

/// The model in `folder` (config.json and 1/model.pt). Throws InvalidArgument naming the file
/// (and, for the config, the field) at fault.
RepositoryModel read_repository_model(const std::filesystem::path& folder);

/// Every model of `repository` (each sub-folder), by folder name. Throws as above, and for a
/// service served by two models.
std::vector<RepositoryModel> read_model_repository(const std::filesystem::path& repository);

}  // namespace epara::io
