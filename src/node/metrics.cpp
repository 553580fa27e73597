#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace epara::node {

namespace {

// Pass and request latencies span a CPU reference model's fraction of a millisecond to an
// LLM pass's seconds; batches are up to a few hundred items.
std::vector<double> seconds_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}
std::vector<double> batch_buckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256}; }

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string label_value(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void NodeMetrics::Histogram::observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[static_cast<std::size_t>(bucket)];
  sum_ += value;
}

void NodeMetrics::Histogram::render(std::string& out, std::string_view name,
                                    std::string_view labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? fmt::format("{}", bounds_[i]) : "+Inf";
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, le, cumulative);
  }
  out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, sum_, name, labels,
                     cumulative);
}

NodeMetrics::PerModel::PerModel()
    : request_seconds(seconds_buckets()),
      pass_seconds(seconds_buckets()),
      batch_size(batch_buckets()) {}

NodeMetrics::NodeMetrics(const std::vector<std::string>& models) {
  for (const std::string& m : models) models_.try_emplace(m);
}

NodeMetrics::PerModel* NodeMetrics::find(std::string_view model) {
  const auto it = models_.find(model);
  return it == models_.end() ? nullptr : &it->second;
}

const NodeMetrics::PerModel* NodeMetrics::find(std::string_view model) const {
  const auto it = models_.find(model);
  return it == models_.end() ? nullptr : &it->second;
}

std::optional<NodeMetrics::Totals> NodeMetrics::totals(std::string_view model) const {
  std::lock_guard lock(mutex_);
  const PerModel* m = find(model);
  if (!m) return std::nullopt;
  return m->totals;
}

void NodeMetrics::request(std::string_view model, grpc::StatusCode code, bool late, Duration took,
                          std::size_t items) {
  const bool ok = code == grpc::StatusCode::OK;
  std::lock_guard lock(mutex_);
  PerModel* m = find(model);
  if (!m) return;  // only models this cloud runs: a client cannot add label values
  const std::string_view outcome = !ok ? "error" : late ? "late" : "in_slo";
  ++m->requests[{outcome, status_name(code)}];
  m->request_seconds.observe(to_seconds(took));
  Totals& t = m->totals;
  if (ok) {
    ++t.success;
    t.success_time += took;
    t.items += items;
    t.last_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  } else {
    ++t.fail;
    t.fail_time += took;
  }
}

void NodeMetrics::offload(std::string_view model, bool out, bool ok) {
  std::lock_guard lock(mutex_);
  if (PerModel* m = find(model)) ++m->offloads[{out ? "out" : "in", ok ? "ok" : "failed"}];
}

void NodeMetrics::pass(std::string_view model, std::size_t batch, Duration took) {
  std::lock_guard lock(mutex_);
  if (PerModel* m = find(model)) {
    m->pass_seconds.observe(to_seconds(took));
    m->batch_size.observe(static_cast<double>(batch));
    Totals::Passes& passes = m->totals.passes[batch];
    ++passes.count;
    passes.time += took;
    passes.squared_seconds += to_seconds(took) * to_seconds(took);
  }
}

void NodeMetrics::instances(std::string_view model, int loaded, int unloaded) {
  std::lock_guard lock(mutex_);
  if (PerModel* m = find(model)) {
    m->loads += static_cast<std::uint64_t>(std::max(0, loaded));
    m->unloads += static_cast<std::uint64_t>(std::max(0, unloaded));
  }
}

std::string NodeMetrics::render(const std::vector<GaugeSample>& gauges) const {
  std::string out;
  std::lock_guard lock(mutex_);
  header(out, "epara_requests_total",
         "Client requests that ended at this node, by outcome (in_slo, late, error) and gRPC "
         "status.",
         "counter");
  for (const auto& [model, m] : models_)
    for (const auto& [key, n] : m.requests)
      out += fmt::format("epara_requests_total{{model={},outcome=\"{}\",code=\"{}\"}} {}\n",
                         label_value(model), key.first, key.second, n);
  header(out, "epara_offloads_total",
         "Requests offloaded to a peer (out) or from one (in), by whether they were answered.",
         "counter");
  for (const auto& [model, m] : models_)
    for (const auto& [key, n] : m.offloads)
      out += fmt::format("epara_offloads_total{{model={},direction=\"{}\",result=\"{}\"}} {}\n",
                         label_value(model), key.first, key.second, n);
  header(out, "epara_instance_loads_total", "Instances a placement started here.", "counter");
  for (const auto& [model, m] : models_)
    out += fmt::format("epara_instance_loads_total{{model={}}} {}\n", label_value(model), m.loads);
  header(out, "epara_instance_unloads_total", "Instances a placement stopped here.", "counter");
  for (const auto& [model, m] : models_)
    out +=
        fmt::format("epara_instance_unloads_total{{model={}}} {}\n", label_value(model), m.unloads);
  header(out, "epara_request_seconds",
         "Client requests from arrival to answer at this node (answered or not).", "histogram");
  for (const auto& [model, m] : models_)
    m.request_seconds.render(out, "epara_request_seconds", "model=" + label_value(model));
  header(out, "epara_pass_seconds", "Passes of the model here: compute time.", "histogram");
  for (const auto& [model, m] : models_)
    m.pass_seconds.render(out, "epara_pass_seconds", "model=" + label_value(model));
  header(out, "epara_batch_size", "Items per pass here.", "histogram");
  for (const auto& [model, m] : models_)
    m.batch_size.render(out, "epara_batch_size", "model=" + label_value(model));
  // By exact batch size (the histograms' buckets are powers of two): a pass's time against a
  // profile needs the batch mix, since passes are far from linear in the batch.
  const auto by_batch = [&](std::string_view name, std::string_view help, auto value) {
    header(out, name, help, "counter");
    for (const auto& [model, m] : models_)
      for (const auto& [batch, pass] : m.totals.passes)
        out += fmt::format("{}{{model={},batch=\"{}\"}} {}\n", name, label_value(model), batch,
                           value(pass));
  };
  using Passes = Totals::Passes;
  by_batch("epara_passes_by_batch_total", "Passes of the model here, by batch size.",
           [](const Passes& p) { return p.count; });
  by_batch("epara_pass_seconds_by_batch_total",
           "Compute time of the passes of the model here, by batch size.",
           [](const Passes& p) { return to_seconds(p.time); });
  by_batch("epara_pass_seconds_squared_by_batch_total",
           "Squared compute times of the passes of the model here, summed, by batch size: with "
           "the two above, their variance.",
           [](const Passes& p) { return p.squared_seconds; });
  std::vector<const GaugeSample*> by_name;  // a family's samples together, as the format asks
  by_name.reserve(gauges.size());
  for (const GaugeSample& g : gauges) by_name.push_back(&g);
  std::stable_sort(by_name.begin(), by_name.end(),
                   [](const GaugeSample* a, const GaugeSample* b) { return a->name < b->name; });
  std::string_view last;
  for (const GaugeSample* sample : by_name) {
    const GaugeSample& g = *sample;
    if (g.name != last) header(out, g.name, g.help, g.counter ? "counter" : "gauge");
    last = g.name;
    out += g.labels.empty() ? fmt::format("{} {}\n", g.name, g.value)
                            : fmt::format("{}{{{}}} {}\n", g.name, g.labels, g.value);
  }
  return out;
}

}  // namespace epara::node
