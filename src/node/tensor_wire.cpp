#include "tensor_wire.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "epara/error.hpp"

namespace epara::node {
namespace {

using exec::DType;
using exec::Shape;
using exec::Tensor;
using exec::TensorSpec;

grpc::Status invalid(const std::string& message) {
  return {grpc::StatusCode::INVALID_ARGUMENT, message};
}

std::vector<std::byte> bytes_of(const char* data, std::size_t size) {
  std::vector<std::byte> out(size);
  if (size > 0) std::memcpy(out.data(), data, size);
  return out;
}

// The shape a request's tensor gives each item, and how many items it holds.
grpc::Status item_shape(const inference::ModelInferRequest::InferInputTensor& t,
                        const TensorSpec& spec, std::int64_t max_items, std::int64_t& batch,
                        Shape& dims) {
  const auto& shape = t.shape();
  const std::size_t rank = spec.shape.size();
  const bool batched = static_cast<std::size_t>(shape.size()) == rank + 1;
  bool ok = batched || static_cast<std::size_t>(shape.size()) == rank;
  batch = batched ? shape[0] : 1;
  ok = ok && batch >= 1 && batch <= max_items;
  dims.assign(shape.begin() + (batched ? 1 : 0), shape.end());
  for (std::size_t i = 0; ok && i < rank; ++i)
    ok = spec.shape[i] == TensorSpec::any ? dims[i] >= 0 && dims[i] <= (1 << 24)
                                          : dims[i] == spec.shape[i];
  if (!ok)
    return invalid(fmt::format("input '{}': shape [{}], expected [batch (1-{}), {}]{}", t.name(),
                               fmt::join(shape, ", "), max_items, fmt::join(spec.shape, ", "),
                               spec.free_note()));
  return grpc::Status::OK;
}

// Raw contents cut into `batch` items of `per` elements each.
grpc::Status split_raw(const std::string& raw, const std::string& name, DType dtype,
                       const Shape& dims, std::int64_t batch, std::vector<Tensor>& out) {
  const std::size_t per = exec::element_count(dims), items = static_cast<std::size_t>(batch);
  if (dtype != DType::BYTES) {
    const std::size_t size = per * exec::element_bytes(dtype);
    if (raw.size() != items * size)
      return invalid(
          fmt::format("input '{}': {} raw bytes, expected {}", name, raw.size(), items * size));
    for (std::size_t i = 0; i < items; ++i)
      out.emplace_back(dtype, dims, bytes_of(raw.data() + i * size, size));
    return grpc::Status::OK;
  }
  std::size_t at = 0;  // BYTES: each element a 4-byte length and its bytes
  for (std::size_t i = 0; i < items; ++i) {
    const std::size_t start = at;
    for (std::size_t e = 0; e < per; ++e) {
      const auto overrun = [&] {
        return invalid(
            fmt::format("input '{}': raw BYTES end inside element {} of item {}", name, e, i));
      };
      std::uint32_t length = 0;
      if (raw.size() - at < sizeof length) return overrun();
      std::memcpy(&length, raw.data() + at, sizeof length);
      at += sizeof length;
      if (raw.size() - at < length) return overrun();
      at += length;
    }
    out.emplace_back(dtype, dims, bytes_of(raw.data() + start, at - start));
  }
  if (at != raw.size())
    return invalid(fmt::format("input '{}': {} raw bytes left after {} BYTES elements", name,
                               raw.size() - at, per * items));
  return grpc::Status::OK;
}

// Typed contents of type T (as the protocol stores them: Wire) cut into items of Element.
template <class Element, class Wire>
grpc::Status split_typed(const google::protobuf::RepeatedField<Wire>& values,
                         const std::string& name, const Shape& dims, std::int64_t batch,
                         std::vector<Tensor>& out) {
  const std::size_t per = exec::element_count(dims), items = static_cast<std::size_t>(batch);
  if (static_cast<std::size_t>(values.size()) != per * items)
    return invalid(fmt::format("input '{}': {} {} values, expected {}", name, values.size(),
                               to_string(exec::DTypeOf<Element>::value), per * items));
  for (std::size_t i = 0; i < items; ++i) {
    std::vector<Element> item;
    item.reserve(per);
    for (std::size_t e = 0; e < per; ++e) {
      const Wire v = values[static_cast<int>(i * per + e)];
      if constexpr (std::is_integral_v<Wire>)
        if (!std::in_range<Element>(v))
          return invalid(fmt::format("input '{}': value {} is not a {}", name, v,
                                     to_string(exec::DTypeOf<Element>::value)));
      item.push_back(static_cast<Element>(v));
    }
    out.push_back(Tensor::of(item, dims));
  }
  return grpc::Status::OK;
}

grpc::Status split_contents(const inference::ModelInferRequest::InferInputTensor& t, DType dtype,
                            const Shape& dims, std::int64_t batch, std::vector<Tensor>& out) {
  const auto& c = t.contents();
  switch (dtype) {
    case DType::FP32:
      return split_typed<float>(c.fp32_contents(), t.name(), dims, batch, out);
    case DType::INT64:
      return split_typed<std::int64_t>(c.int64_contents(), t.name(), dims, batch, out);
    case DType::INT32:
      return split_typed<std::int32_t>(c.int_contents(), t.name(), dims, batch, out);
    case DType::UINT8:
      return split_typed<std::uint8_t>(c.uint_contents(), t.name(), dims, batch, out);
    case DType::FP16:
      return invalid(fmt::format("input '{}': FP16 travels only as raw_input_contents", t.name()));
    case DType::BYTES:
      break;
  }
  const std::size_t per = exec::element_count(dims), items = static_cast<std::size_t>(batch);
  if (static_cast<std::size_t>(c.bytes_contents_size()) != per * items)
    return invalid(fmt::format("input '{}': {} BYTES values, expected {}", t.name(),
                               c.bytes_contents_size(), per * items));
  for (std::size_t i = 0; i < items; ++i) {
    std::vector<std::string> strings;
    for (std::size_t e = 0; e < per; ++e)
      strings.push_back(c.bytes_contents(static_cast<int>(i * per + e)));
    out.push_back(Tensor::strings(strings, dims));
  }
  return grpc::Status::OK;
}

template <class Element, class Wire>
void append_typed(const Tensor& t, google::protobuf::RepeatedField<Wire>& out) {
  for (Element v : t.values<Element>()) out.Add(static_cast<Wire>(v));
}

void append_contents(const Tensor& t, inference::InferTensorContents& c) {
  switch (t.dtype()) {
    case DType::FP32:
      return append_typed<float>(t, *c.mutable_fp32_contents());
    case DType::INT64:
      return append_typed<std::int64_t>(t, *c.mutable_int64_contents());
    case DType::INT32:
      return append_typed<std::int32_t>(t, *c.mutable_int_contents());
    case DType::UINT8:
      return append_typed<std::uint8_t>(t, *c.mutable_uint_contents());
    case DType::FP16:  // never typed: write_response sends FP16 raw
      return;
    case DType::BYTES:
      for (std::string_view s : t.strings()) c.add_bytes_contents(std::string(s));
      return;
  }
}

// Whether any typed field of `c` holds a value.
bool holds_values(const inference::InferTensorContents& c) {
  return c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() +
             c.uint_contents_size() + c.uint64_contents_size() + c.fp32_contents_size() +
             c.fp64_contents_size() + c.bytes_contents_size() >
         0;
}

}  // namespace

grpc::Status read_request(const inference::ModelInferRequest& in, std::span<const TensorSpec> specs,
                          std::int64_t max_items, Items& items) {
  if (static_cast<std::size_t>(in.inputs_size()) != specs.size())
    return invalid(fmt::format("expected {} input tensors ({}), got {}", specs.size(),
                               exec::describe(specs), in.inputs_size()));
  const bool raw = in.raw_input_contents_size() > 0;
  if (raw && in.raw_input_contents_size() != in.inputs_size())
    return invalid(fmt::format("{} raw_input_contents for {} inputs: give one per input",
                               in.raw_input_contents_size(), in.inputs_size()));
  std::int64_t batch = 0;
  for (std::size_t s = 0; s < specs.size(); ++s) {
    const TensorSpec& spec = specs[s];
    int k = 0;
    while (k < in.inputs_size() && in.inputs(k).name() != spec.name) ++k;
    if (k == in.inputs_size())
      return invalid(
          fmt::format("no input '{}' (the model takes {})", spec.name, exec::describe(specs)));
    const auto& t = in.inputs(k);
    if (exec::dtype_named(t.datatype()) != spec.dtype)
      return invalid(fmt::format("input '{}': datatype {}, expected {}", t.name(), t.datatype(),
                                 to_string(spec.dtype)));
    std::int64_t rows = 0;
    Shape dims;
    if (grpc::Status st = item_shape(t, spec, max_items, rows, dims); !st.ok()) return st;
    if (s > 0 && rows != batch)
      return invalid(fmt::format("input '{}' holds {} items, input '{}' {}", t.name(), rows,
                                 specs[0].name, batch));
    batch = rows;
    // Both would be a client bug: which one the model saw would depend on this server.
    if (raw && holds_values(t.contents()))
      return invalid(
          fmt::format("input '{}': values in both raw_input_contents and contents: "
                      "give one",
                      t.name()));
    std::vector<Tensor> column;
    grpc::Status st =
        raw ? split_raw(in.raw_input_contents(k), t.name(), spec.dtype, dims, rows, column)
            : split_contents(t, spec.dtype, dims, rows, column);
    if (!st.ok()) return st;
    items.resize(static_cast<std::size_t>(batch));
    for (std::size_t i = 0; i < column.size(); ++i) items[i].push_back(std::move(column[i]));
  }
  return grpc::Status::OK;
}

grpc::Status write_response(const Items& outputs, std::span<const TensorSpec> specs, bool raw,
                            inference::ModelInferResponse& out) {
  if (outputs.empty()) return grpc::Status::OK;
  raw =
      raw || std::ranges::any_of(specs, [](const TensorSpec& s) { return s.dtype == DType::FP16; });
  for (std::size_t j = 0; j < specs.size(); ++j) {
    const Shape& dims = outputs.front().at(j).shape();
    for (const auto& item : outputs)
      if (item.at(j).shape() != dims)
        return invalid(fmt::format(
            "output '{}': the items of this request came out of different shapes ([{}] and "
            "[{}]); send them one per request",
            specs[j].name, fmt::join(dims, ", "), fmt::join(item.at(j).shape(), ", ")));
    auto* tensor = out.add_outputs();
    tensor->set_name(specs[j].name);
    tensor->set_datatype(std::string(to_string(specs[j].dtype)));
    tensor->add_shape(static_cast<std::int64_t>(outputs.size()));
    for (std::int64_t d : dims) tensor->add_shape(d);
    if (raw) {
      std::string& bytes = *out.add_raw_output_contents();
      for (const auto& item : outputs)
        bytes.append(reinterpret_cast<const char*>(item[j].bytes().data()), item[j].bytes().size());
    } else {
      for (const auto& item : outputs) append_contents(item[j], *tensor->mutable_contents());
    }
  }
  return grpc::Status::OK;
}

void to_peer(const Items& items, google::protobuf::RepeatedPtrField<peer::Item>& out) {
  for (const auto& item : items) {
    peer::Item& message = *out.Add();
    for (const Tensor& t : item) {
      peer::Tensor& m = *message.add_tensors();
      m.set_datatype(std::string(to_string(t.dtype())));
      for (std::int64_t d : t.shape()) m.add_shape(d);
      m.set_data(reinterpret_cast<const char*>(t.bytes().data()), t.bytes().size());
    }
  }
}

grpc::Status from_peer(const google::protobuf::RepeatedPtrField<peer::Item>& in, Items& items) {
  for (const peer::Item& message : in) {
    std::vector<Tensor>& item = items.emplace_back();
    for (const peer::Tensor& m : message.tensors()) {
      const auto dtype = exec::dtype_named(m.datatype());
      if (!dtype) return invalid(fmt::format("offload: datatype '{}'", m.datatype()));
      try {
        item.emplace_back(*dtype, Shape(m.shape().begin(), m.shape().end()),
                          bytes_of(m.data().data(), m.data().size()));
      } catch (const InvalidArgument& e) {
        return invalid(fmt::format("offload: {}", e.what()));
      }
    }
  }
  return grpc::Status::OK;
}

}  // namespace epara::node
