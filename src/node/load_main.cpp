// epara-load: replays a workload against epara-nodes over the Open Inference Protocol and
// reports what came back: in SLO (the node's verdict), late, errors by gRPC status, offloads,
// goodput and latency percentiles, and optionally goodput second by second.
//   epara-load --target 127.0.0.1:50051 --model classify --rate 200 --duration 10
//   epara-load --target ... --model chat --trace azure.csv --speedup 2

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "cli_common.hpp"
#include "epara/exec/random_inputs.hpp"
#include "epara/io/scenario_json.hpp"
#include "epara/sim/trace.hpp"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "status_name.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  grpc::ClientContext context;
  inference::ModelInferResponse response;
  grpc::Status status;
  std::size_t index = 0;  // in arrival order
  Clock::time_point sent;
  std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
};

struct Tally {
  std::mutex mutex;
  std::uint64_t in_slo = 0, late = 0, offloaded = 0;
  std::map<std::string, std::uint64_t> errors;  // by status code name
  std::vector<double> latency_ms;               // answered requests
  std::vector<std::uint64_t> good_by_second;    // in SLO, by the second it was sent in
  std::map<std::string, std::vector<std::uint64_t>> errors_by_second;  // by status code, as above
};

// One request as the client saw it, for --requests-csv.
struct Record {
  double sent_s = 0;       // since the first arrival's time zero; the arrival was due at its offset
  double latency_ms = -1;  // -1: no answer
  std::string outcome = "unanswered";  // in_slo, late, or the gRPC status's name
  std::int64_t hops = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Waits until every target answers ServerReady, up to `limit`; throws naming the laggard.
void wait_ready(const std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>>& stubs,
                const std::vector<std::string>& targets, double limit_s) {
  const auto until = Clock::now() + std::chrono::duration<double>(limit_s);
  for (std::size_t i = 0; i < stubs.size(); ++i) {
    for (;;) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      inference::ServerReadyResponse ready;
      if (stubs[i]->ServerReady(&context, {}, &ready).ok() && ready.ready()) break;
      if (Clock::now() > until)
        throw epara::Error(fmt::format("{} not ready after {} s", targets[i], limit_s));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Replays a workload against epara-nodes (Open Inference Protocol) and reports "
      "goodput, outcomes and latency (docs/deployment.md)."};
  epara::cli::add_standard_options(app);
  std::vector<std::string> targets;
  std::string model, trace, json_path;
  double rate = 100, duration = 10, speedup = 1, timeout = 10, ready_s = 0;
  int batch = 1;
  unsigned seed = 1;
  bool timeline = false;
  std::string requests_csv;
  app.add_option("--target", targets, "Node addresses; requests go round robin")
      ->required()
      ->delimiter(',');
  app.add_option("--model", model, "Model (service) name")->required();
  app.add_option("--rate", rate, "Requests per second, Poisson")->check(epara::cli::positive);
  app.add_option("--duration", duration, "Seconds of arrivals")->check(epara::cli::positive);
  app.add_option("--trace", trace, "Azure LLM trace CSV: arrivals from its timestamps");
  app.add_option("--speedup", speedup, "Trace time compression")->check(epara::cli::positive);
  app.add_option("--batch", batch, "Items per request")->check(CLI::Range(1, 4096));
  app.add_option("--timeout", timeout, "Client deadline per request, seconds")
      ->check(epara::cli::positive);
  app.add_option("--wait-ready", ready_s, "First wait up to this long for every target");
  app.add_option("--seed", seed, "Arrival and input seed");
  app.add_flag("--timeline", timeline, "Print requests in SLO, and failed, per second sent");
  app.add_option("--json", json_path, "Write the report as JSON here");
  app.add_option("--requests-csv", requests_csv,
                 "Write one row per request here: due and sent offsets, latency, outcome, hops");
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>> stubs;
    stubs.reserve(targets.size());
    for (const std::string& t : targets)
      stubs.push_back(inference::GRPCInferenceService::NewStub(
          grpc::CreateChannel(t, grpc::InsecureChannelCredentials())));
    if (ready_s > 0) wait_ready(stubs, targets, ready_s);

    inference::ModelMetadataResponse meta;
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      inference::ModelMetadataRequest request;
      request.set_name(model);
      const grpc::Status s = stubs[0]->ModelMetadata(&context, request, &meta);
      if (!s.ok()) throw epara::Error(fmt::format("{}: {}", targets[0], s.error_message()));
    }
    // The model's inputs as its metadata gives them (free dimensions 16 long).
    std::vector<epara::exec::TensorSpec> specs;
    for (const auto& t : meta.inputs()) {
      const auto dtype = epara::exec::dtype_named(t.datatype());
      if (!dtype || t.shape_size() < 1)
        throw epara::Error(
            fmt::format("{}: model '{}' input '{}' is {} [{}], not a batched tensor "
                        "of a type epara-load sends",
                        targets[0], model, t.name(), t.datatype(), fmt::join(t.shape(), ", ")));
      specs.push_back({t.name(), *dtype, {t.shape().begin() + 1, t.shape().end()}});
    }
    // Arrival offsets: Poisson at --rate, or the trace's timestamps.
    std::vector<double> arrivals;
    std::mt19937_64 rng(seed);
    if (!trace.empty()) {
      for (const auto& row : epara::sim::load_azure_trace(trace))
        if (const double t = epara::to_seconds(row.offset) / speedup; t < duration)
          arrivals.push_back(t);
    } else {
      std::exponential_distribution<double> gap(rate);
      for (double t = gap(rng); t < duration; t += gap(rng)) arrivals.push_back(t);
    }

    // One request of `batch` random items, raw contents, every input [batch, item dims...].
    const auto items = epara::exec::random_items(specs, static_cast<std::size_t>(batch), {}, seed);
    inference::ModelInferRequest request;
    request.set_model_name(model);
    for (std::size_t j = 0; j < specs.size(); ++j) {
      auto* tensor = request.add_inputs();
      tensor->set_name(specs[j].name);
      tensor->set_datatype(std::string(to_string(specs[j].dtype)));
      tensor->add_shape(batch);
      for (std::int64_t d : items.front()[j].shape()) tensor->add_shape(d);
      std::string& raw = *request.add_raw_input_contents();
      for (const auto& item : items)
        raw.append(reinterpret_cast<const char*>(item[j].bytes().data()), item[j].bytes().size());
    }

    Tally tally;
    std::vector<Record> records(arrivals.size());
    tally.good_by_second.assign(static_cast<std::size_t>(std::ceil(duration)) + 1, 0);
    grpc::CompletionQueue queue;
    const auto start = Clock::now();
    std::thread reaper([&] {
      void* tag = nullptr;
      bool ok = false;
      for (std::size_t done = 0; done < arrivals.size() && queue.Next(&tag, &ok); ++done) {
        std::unique_ptr<Call> call(static_cast<Call*>(tag));
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - call->sent).count();
        const double sent_s = std::chrono::duration<double>(call->sent - start).count();
        const std::size_t bucket =
            std::min(static_cast<std::size_t>(sent_s), tally.good_by_second.size() - 1);
        std::lock_guard lock(tally.mutex);
        Record& record = records[call->index];
        record.sent_s = sent_s;
        if (!call->status.ok()) {
          const std::string code(epara::node::status_name(call->status.error_code()));
          record.outcome = code;
          ++tally.errors[code];
          auto& by_second = tally.errors_by_second[code];
          by_second.resize(tally.good_by_second.size());
          ++by_second[bucket];
          continue;
        }
        tally.latency_ms.push_back(ms);
        const auto& p = call->response.parameters();
        const bool late = p.count("late") && p.at("late").bool_param();
        record.latency_ms = ms;
        record.outcome = late ? "late" : "in_slo";
        record.hops = p.count("hops") ? p.at("hops").int64_param() : 0;
        if (record.hops > 0) ++tally.offloaded;
        if (late) {
          ++tally.late;
        } else {
          ++tally.in_slo;
          ++tally.good_by_second[bucket];
        }
      }
    });
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(arrivals[i])));
      auto* call = new Call;
      call->index = i;
      call->sent = Clock::now();
      call->context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                     std::chrono::duration<double>(timeout)));
      call->reader = stubs[i % stubs.size()]->AsyncModelInfer(&call->context, request, &queue);
      call->reader->Finish(&call->response, &call->status, call);
    }
    reaper.join();
    queue.Shutdown();

    std::uint64_t errors = 0;
    std::string error_text;
    for (const auto& [code, n] : tally.errors) {
      errors += n;
      error_text += fmt::format("{}{} {}", error_text.empty() ? "" : ", ", code, n);
    }
    const std::uint64_t answered = tally.in_slo + tally.late + errors;
    fmt::print("sent {}, answered {} (in SLO {}, late {}, errors {}{}), offloaded {}\n",
               arrivals.size(), answered, tally.in_slo, tally.late, errors,
               error_text.empty() ? "" : ": " + error_text, tally.offloaded);
    fmt::print("goodput {:.1f}/s; latency p50 {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms\n",
               static_cast<double>(tally.in_slo) / duration, percentile(tally.latency_ms, 0.5),
               percentile(tally.latency_ms, 0.9), percentile(tally.latency_ms, 0.99));
    if (timeline) {
      fmt::print("in SLO per second: {}\n", fmt::join(tally.good_by_second, " "));
      for (const auto& [code, by_second] : tally.errors_by_second)
        fmt::print("{} per second: {}\n", code, fmt::join(by_second, " "));
    }
    if (!json_path.empty()) {
      std::vector<std::uint64_t> sent_by_second(tally.good_by_second.size(), 0);
      for (const double at : arrivals)
        ++sent_by_second[std::min(static_cast<std::size_t>(at), sent_by_second.size() - 1)];
      const nlohmann::json j{{"sent", arrivals.size()},
                             {"answered", answered},
                             {"in_slo", tally.in_slo},
                             {"late", tally.late},
                             {"errors", tally.errors},
                             {"offloaded", tally.offloaded},
                             {"goodput_per_s", static_cast<double>(tally.in_slo) / duration},
                             {"p50_ms", percentile(tally.latency_ms, 0.5)},
                             {"p99_ms", percentile(tally.latency_ms, 0.99)},
                             {"sent_by_second", sent_by_second},
                             {"in_slo_by_second", tally.good_by_second},
                             {"errors_by_second", tally.errors_by_second}};
      std::ofstream(json_path) << j.dump(2) << "\n";
    }
    if (!requests_csv.empty()) {
      std::ofstream csv(requests_csv);
      csv << "due_s,sent_s,latency_ms,outcome,hops\n";
      for (std::size_t i = 0; i < records.size(); ++i)
        csv << fmt::format("{:.6f},{:.6f},{:.3f},{},{}\n", arrivals[i], records[i].sent_s,
                           records[i].latency_ms, records[i].outcome, records[i].hops);
      if (!csv) throw epara::Error(fmt::format("cannot write {}", requests_csv));
    }
    return answered == arrivals.size() ? 0 : 2;
  } catch (const epara::Error& e) {
    fmt::print(stderr, "epara-load: error: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "epara-load: internal error: {}\n", e.what());
  }
  return 1;
}
