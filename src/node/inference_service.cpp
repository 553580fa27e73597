#include "inference_service.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <system_error>
#include <thread>

#include "quoted_name.hpp"
#include "status_name.hpp"

namespace epara::node {
namespace {

// A stream's answer to a request that failed: the status in error_message, and the request's
// model and id so the client can tell which.
inference::ModelStreamInferResponse failed_in_stream(const inference::ModelInferRequest& in,
                                                     const grpc::Status& status) {
  inference::ModelStreamInferResponse response;
  response.set_error_message(
      fmt::format("{}: {}", status_name(status.error_code()), status.error_message()));
  response.mutable_infer_response()->set_model_name(in.model_name());
  response.mutable_infer_response()->set_id(in.id());
  return response;
}

const char* platform_of(const ModelSpec& m) {
  switch (m.kind) {
    case ModelSpec::Kind::Dense:
      return "epara-reference-dense";
    case ModelSpec::Kind::Attention:
      return "epara-reference-attention";
    case ModelSpec::Kind::TorchScript:
      return "pytorch_libtorch";  // Triton's name for TorchScript models
    case ModelSpec::Kind::Identity:
      break;
  }
  return "epara-reference-identity";
}

// The ModelConfig data_type of a protocol datatype.
inference::DataType config_type(exec::DType t) {
  switch (t) {
    case exec::DType::FP32:
      return inference::TYPE_FP32;
    case exec::DType::FP16:
      return inference::TYPE_FP16;
    case exec::DType::INT64:
      return inference::TYPE_INT64;
    case exec::DType::INT32:
      return inference::TYPE_INT32;
    case exec::DType::UINT8:
      return inference::TYPE_UINT8;
    case exec::DType::BYTES:
      break;
  }
  return inference::TYPE_STRING;
}

}  // namespace

grpc::Status Node::InferenceService::find_model(const std::string& model,
                                                ServiceId& service) const {
  const auto found = node_.model_named(model);
  if (!found)
    return {grpc::StatusCode::NOT_FOUND, fmt::format("unknown model {}", quoted_name(model))};
  service = *found;
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ServerLive(grpc::ServerContext*,
                                                const inference::ServerLiveRequest*,
                                                inference::ServerLiveResponse* out) {
  out->set_live(true);
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ServerReady(grpc::ServerContext*,
                                                 const inference::ServerReadyRequest*,
                                                 inference::ServerReadyResponse* out) {
  out->set_ready(node_.ready());
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ModelReady(grpc::ServerContext*,
                                                const inference::ModelReadyRequest* in,
                                                inference::ModelReadyResponse* out) {
  ServiceId service{};
  if (grpc::Status s = find_model(in->name(), service); !s.ok()) return s;
  out->set_ready(node_.hosts_anywhere(service));
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ServerMetadata(grpc::ServerContext*,
                                                    const inference::ServerMetadataRequest*,
                                                    inference::ServerMetadataResponse* out) {
  out->set_name(
      fmt::format("epara-node {}", node_.scenario().cluster.servers[index_of(node_.self())].name));
  out->set_version(EPARA_VERSION);
  out->add_extensions("model_repository");     // RepositoryIndex (read-only)
  out->add_extensions("statistics");           // ModelStatistics
  out->add_extensions("model_configuration");  // ModelConfig
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ModelMetadata(grpc::ServerContext*,
                                                   const inference::ModelMetadataRequest* in,
                                                   inference::ModelMetadataResponse* out) {
  ServiceId service{};
  if (grpc::Status s = find_model(in->name(), service); !s.ok()) return s;
  const ModelSpec& m = *node_.deployment().model(service);
  out->set_name(in->name());
  out->add_versions("1");
  out->set_platform(platform_of(m));
  for (auto [tensors, specs] : {std::pair{out->mutable_inputs(), &m.inputs},
                                std::pair{out->mutable_outputs(), &m.outputs}}) {
    for (const exec::TensorSpec& spec : *specs) {
      auto* t = tensors->Add();
      t->set_name(spec.name);
      t->set_datatype(std::string(to_string(spec.dtype)));
      t->add_shape(-1);  // the batch
      for (std::int64_t d : spec.shape) t->add_shape(d);
    }
  }
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ModelInfer(grpc::ServerContext* context,
                                                const inference::ModelInferRequest* in,
                                                inference::ModelInferResponse* out) {
  return answer(context, *in, *out);
}

grpc::Status Node::InferenceService::answer(grpc::ServerContext* context,
                                            const inference::ModelInferRequest& in,
                                            inference::ModelInferResponse& out,
                                            std::uint64_t stream) {
  const Time arrival = exec::now();
  bool late = false;
  std::size_t items = 0;
  grpc::Status s = infer(context, in, out, stream, late, items);
  node_.metrics().request(in.model_name(), s.error_code(), late, exec::now() - arrival, items);
  return s;
}

inference::ModelStreamInferResponse Node::InferenceService::answer_in_stream(
    grpc::ServerContext* context, const inference::ModelInferRequest& in, std::uint64_t stream) {
  inference::ModelStreamInferResponse response;
  const grpc::Status s = answer(context, in, *response.mutable_infer_response(), stream);
  return s.ok() ? response : failed_in_stream(in, s);
}

grpc::Status Node::InferenceService::ModelStreamInfer(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<inference::ModelStreamInferResponse, inference::ModelInferRequest>*
        stream) {
  // The reader (this thread) starts each request as it comes; the writer answers them in order.
  // At most max_in_flight are out at once: a client sending faster than they finish waits.
  constexpr std::size_t max_in_flight = 64;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::future<inference::ModelStreamInferResponse>> answers;
  bool reading = true;
  std::thread writer([&] {
    for (;;) {
      std::future<inference::ModelStreamInferResponse> next;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return !answers.empty() || !reading; });
        if (answers.empty()) return;
        next = std::move(answers.front());
        answers.pop_front();
      }
      changed.notify_all();
      stream->Write(next.get());  // false once the client is gone: the rest still finish
    }
  });
  const std::uint64_t id = node_.new_stream();  // the stream's requests batch together
  inference::ModelInferRequest request;
  while (stream->Read(&request)) {
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return answers.size() < max_in_flight; });
    }
    std::future<inference::ModelStreamInferResponse> answer;
    try {
      answer = std::async(std::launch::async, [this, context, request, id] {
        return answer_in_stream(context, request, id);
      });
    } catch (const std::system_error&) {  // no thread to spare: this request fails, not the node
      std::promise<inference::ModelStreamInferResponse> refused;
      refused.set_value(failed_in_stream(
          request, {grpc::StatusCode::RESOURCE_EXHAUSTED, "no thread to run the request"}));
      answer = refused.get_future();
    }
    {
      std::lock_guard lock(mutex);
      answers.push_back(std::move(answer));  // only this thread adds: there is room
    }
    changed.notify_all();
  }
  {
    std::lock_guard lock(mutex);
    reading = false;
  }
  changed.notify_all();
  writer.join();
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ModelConfig(grpc::ServerContext*,
                                                 const inference::ModelConfigRequest* in,
                                                 inference::ModelConfigResponse* out) {
  ServiceId service{};
  if (grpc::Status s = find_model(in->name(), service); !s.ok()) return s;
  const ModelSpec& m = *node_.deployment().model(service);
  const exec::BatchPolicy policy = node_.instances_.policy_of(service);
  inference::ModelConfig& config = *out->mutable_config();
  config.set_name(in->name());
  config.set_platform(platform_of(m));
  config.set_backend("epara");
  config.set_max_batch_size(static_cast<std::int32_t>(policy.max_batch));
  for (const exec::TensorSpec& spec : m.inputs) {
    auto* input = config.add_input();
    input->set_name(spec.name);
    input->set_data_type(config_type(spec.dtype));
    for (std::int64_t d : spec.shape) input->add_dims(d);
  }
  for (const exec::TensorSpec& spec : m.outputs) {
    auto* output = config.add_output();
    output->set_name(spec.name);
    output->set_data_type(config_type(spec.dtype));
    for (std::int64_t d : spec.shape) output->add_dims(d);
  }
  auto* group = config.add_instance_group();
  group->set_name(in->name());
  group->set_count(node_.instances_.replicas(service));
  group->set_kind(node_.instances_.on_gpu() ? inference::ModelInstanceGroup::KIND_GPU
                                            : inference::ModelInstanceGroup::KIND_CPU);
  auto* batching = config.mutable_dynamic_batching();
  batching->set_max_queue_delay_microseconds(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(policy.timeout).count()));
  batching->set_preserve_ordering(false);  // a request never waits for another's results
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::RepositoryIndex(grpc::ServerContext*,
                                                     const inference::RepositoryIndexRequest* in,
                                                     inference::RepositoryIndexResponse* out) {
  for (const ModelSpec& m : node_.deployment().models) {
    const bool here = node_.instances_.hosts(m.service);
    if (in->ready() && !here) continue;
    auto* model = out->add_models();
    model->set_name(node_.scenario().service(m.service).name);
    model->set_version("1");
    model->set_state(here ? "READY" : "UNAVAILABLE");
    if (!here) {
      const std::vector<std::string> hosts = node_.placed_on(m.service);
      model->set_reason(hosts.empty() ? "placed on no node"
                                      : fmt::format("placed on {}", fmt::join(hosts, ", ")));
    }
  }
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::ModelStatistics(grpc::ServerContext*,
                                                     const inference::ModelStatisticsRequest* in,
                                                     inference::ModelStatisticsResponse* out) {
  ServiceId service{};
  if (!in->name().empty())
    if (grpc::Status s = find_model(in->name(), service); !s.ok()) return s;
  const auto duration = [](inference::StatisticDuration* d, std::uint64_t count, Duration time) {
    d->set_count(count);
    d->set_ns(static_cast<std::uint64_t>(std::max<std::int64_t>(0, time.count())));
  };
  for (const ModelSpec& m : node_.deployment().models) {
    const std::string& name = node_.scenario().service(m.service).name;
    if (!in->name().empty() && m.service != service) continue;
    const auto t = node_.metrics().totals(name);
    if (!t) continue;
    auto* stats = out->add_model_stats();
    stats->set_name(name);
    stats->set_version("1");
    stats->set_last_inference(static_cast<std::uint64_t>(t->last_ms));
    stats->set_inference_count(t->items);
    auto* infer = stats->mutable_inference_stats();
    duration(infer->mutable_success(), t->success, t->success_time);
    duration(infer->mutable_fail(), t->fail, t->fail_time);
    std::uint64_t passes = 0;
    Duration compute{};
    for (const auto& [batch, pass] : t->passes) {
      passes += pass.count;
      compute += pass.time;
      auto* by_batch = stats->add_batch_stats();
      by_batch->set_batch_size(batch);
      duration(by_batch->mutable_compute_infer(), pass.count, pass.time);
    }
    stats->set_execution_count(passes);
    duration(infer->mutable_compute_infer(), passes, compute);
  }
  return grpc::Status::OK;
}

grpc::Status Node::InferenceService::infer(grpc::ServerContext* context,
                                           const inference::ModelInferRequest& in,
                                           inference::ModelInferResponse& out, std::uint64_t stream,
                                           bool& late, std::size_t& items) {
  ServiceId service{};
  if (grpc::Status s = find_model(in.model_name(), service); !s.ok()) return s;
  const ModelSpec& m = *node_.deployment().model(service);
  Items request;
  if (grpc::Status s = read_request(in, m.inputs, max_request_items, request); !s.ok()) return s;
  items = request.size();
  // The SLO's deadline from now, or the client's own if it is earlier.
  Time deadline = exec::now() + node_.scenario().service(service).slo.deadline;
  const auto client_left = context->deadline() - std::chrono::system_clock::now();
  if (client_left < std::chrono::hours(24))
    deadline = std::min(deadline, exec::now() + std::chrono::duration_cast<Duration>(client_left));
  Served served;
  if (grpc::Status s = node_.serve(service, std::move(request), deadline, {}, served, stream);
      !s.ok())
    return s;
  out.set_model_name(in.model_name());
  out.set_model_version("1");
  out.set_id(in.id());
  // Answered in the form asked in: raw contents for raw ones.
  if (grpc::Status s =
          write_response(served.outputs, m.outputs, in.raw_input_contents_size() > 0, out);
      !s.ok())
    return s;
  auto& parameters = *out.mutable_parameters();
  parameters["served_by"].set_string_param(
      node_.scenario().cluster.servers[index_of(served.served_by)].name);
  parameters["hops"].set_int64_param(served.hops);
  parameters["late"].set_bool_param(served.late);
  late = served.late;
  return grpc::Status::OK;
}

}  // namespace epara::node
