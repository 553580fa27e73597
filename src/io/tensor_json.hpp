#pragma once
// A tensor's spec in JSON, as deployments (identity models) and model repositories give it.

#include <fmt/format.h>

#include <string>

#include "epara/exec/tensor_spec.hpp"
#include "io/json_reader.hpp"

namespace epara::io::detail {

// {"name": "x", "datatype": "INT64", "dims": [-1, 2]}: one item's shape, -1 for any length.
inline exec::TensorSpec read_tensor_spec(const JsonNode& n) {
  n.expect_object({"name", "datatype", "dims"});
  exec::TensorSpec t;
  t.name = n.at("name").name();
  const std::string type = n.at("datatype").string();
  const auto dtype = exec::dtype_named(type);
  if (!dtype)
    n.at("datatype")
        .fail(fmt::format(
            "must be one of 'FP32', 'FP16', 'INT64', 'INT32', 'UINT8', 'BYTES' (got '{}')", type));
  t.dtype = *dtype;
  for (const JsonNode& d : n.at("dims").elements()) {
    const int dim = d.integer_in(-1, 1 << 20);
    if (dim == 0) d.fail("a dimension is -1 (any length) or at least 1");
    t.shape.push_back(dim);
  }
  return t;
}

/// A list of tensor specs, at least one, no name twice.
inline std::vector<exec::TensorSpec> read_tensor_specs(const JsonNode& n) {
  const auto elements = n.elements();
  if (elements.empty()) n.fail("give at least one tensor");
  std::vector<exec::TensorSpec> specs;
  for (const JsonNode& t : elements) {
    specs.push_back(read_tensor_spec(t));
    for (std::size_t i = 0; i + 1 < specs.size(); ++i)
      if (specs[i].name == specs.back().name)
        t.at("name").fail(fmt::format("'{}' is named twice", specs.back().name));
  }
  return specs;
}

}  // namespace epara::io::detail
