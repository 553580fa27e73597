// epara-profile: measures a model's pass latency against batch size (and, for the dense
// reference model, pipeline degree) on this machine's CPU or GPU — a reference model, or a
// model of a model repository (TorchScript) — and writes a Profile that the allocator and the
// simulator read, alone or merged into a scenario.

#include <fmt/chrono.h>
#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "cli_common.hpp"
#include "epara/exec/profiler.hpp"
#include "epara/exec/reference/cpu_attention.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "epara/io/model_repository.hpp"
#ifdef EPARA_WITH_TORCH
#include "epara/torchscript/script_model.hpp"
#endif
#ifdef EPARA_WITH_CUDA
#include "epara/cuda/attention.hpp"
#include "epara/cuda/dense_chain.hpp"
#include "epara/cuda/runtime.hpp"
#endif

using namespace epara;
using json = nlohmann::ordered_json;

namespace {

struct Options {
  std::string model = "dense", backend = "auto", name, device_class, into, out, repository;
  std::vector<std::size_t> widths{512, 2048, 2048, 512};
  std::size_t tokens = 32, dim = 256;
  std::vector<int> degrees{1};
  std::uint64_t seed = 1;
  exec::ProfileSettings settings;
};

bool have_gpu() {
#ifdef EPARA_WITH_CUDA
  return cuda::query_devices().count > 0;
#else
  return false;
#endif
}

// Stage i of a pipeline: on the CPU another thread; on GPUs device i.
exec::CpuDenseChain make_stage(std::type_identity<exec::CpuDenseChain>,
                               const exec::DenseChainWeights& w, std::size_t max_batch, int) {
  return {w, max_batch};
}
#ifdef EPARA_WITH_CUDA
cuda::DenseChain make_stage(std::type_identity<cuda::DenseChain>, const exec::DenseChainWeights& w,
                            std::size_t max_batch, int device) {
  return {w, max_batch, {device, 0}};
}

// "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3"
std::string slug(const std::string& text) {
  std::string s;
  for (char c : text)
    if (std::isalnum(static_cast<unsigned char>(c)))
      s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!s.empty() && s.back() != '-')
      s += '-';
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s;
}
#endif

// "AMD EPYC (2 cores)": the CPU's model name (/proc/cpuinfo, where there is one) and the cores
// this process may use.
std::string cpu_description() {
  std::ifstream info("/proc/cpuinfo");
  std::string line, model = "CPU";
  while (std::getline(info, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 1);
      model.erase(0, model.find_first_not_of(' '));
      break;
    }
  return fmt::format("{} ({} cores)", model, std::thread::hardware_concurrency());
}

// The kernels' library and the compiler that built them, with versions.
std::string libraries(bool gpu, bool torchscript) {
#if defined(__clang__)
  const std::string compiler = fmt::format("clang {}", __clang_version__);
#elif defined(__GNUC__)
  const std::string compiler = fmt::format("g++ {}", __VERSION__);
#else
  const std::string compiler = "unknown compiler";
#endif
#ifdef EPARA_WITH_TORCH
  if (torchscript) return fmt::format("{}, {}", torchscript::library_version(), compiler);
#else
  (void)torchscript;
#endif
  if (gpu) return fmt::format("cuBLAS, {}", compiler);
  return fmt::format("Eigen {}.{}.{}, {}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION,
                     EIGEN_MINOR_VERSION, compiler);
}

template <class Dense, class AttentionModel>
std::vector<exec::MeasuredPoint> measure(const Options& o, int degree) {
  const std::size_t max_batch =
      *std::max_element(o.settings.batches.begin(), o.settings.batches.end());
  if (o.model == "attention") {
    AttentionModel m(exec::make_attention(o.tokens, o.dim, o.seed), max_batch);
    return exec::measure_model(m, o.settings);
  }
  const exec::DenseChainWeights w = exec::make_dense_chain(o.widths, o.seed);
  if (degree == 1) {
    Dense m(w, max_batch);
    return exec::measure_model(m, o.settings);
  }
  const auto parts = exec::split_stages(w, static_cast<std::size_t>(degree));
  const auto make_stages = [&] {
    std::vector<Dense> stages;
    for (std::size_t i = 0; i < parts.size(); ++i)
      stages.push_back(
          make_stage(std::type_identity<Dense>{}, parts[i], max_batch, static_cast<int>(i)));
    return stages;
  };
  return exec::measure_pipeline(make_stages, o.settings);
}

// A repository model (TorchScript) on the CPU or GPU 0; prints what it holds.
std::vector<exec::MeasuredPoint> measure_repository(const Options& o, bool gpu) {
  const io::RepositoryModel r =
      io::read_repository_model(std::filesystem::path(o.repository) / o.model);
  const std::size_t max_batch =
      *std::max_element(o.settings.batches.begin(), o.settings.batches.end());
  EPARA_EXPECTS(max_batch <= r.max_batch,
                fmt::format("--batches: {} is over the model's max_batch of {} ({})", max_batch,
                            r.max_batch, r.name));
#ifdef EPARA_WITH_TORCH
  torchscript::ScriptModel m(r.file, r.inputs, r.outputs, max_batch, gpu ? 0 : -1);
  fmt::print(stderr, "{}: parameters and buffers {:.1f} MiB (its config declares {:.1f})\n", r.name,
             m.memory().as_mib(), r.memory.as_mib());
  return exec::measure_model(m, o.settings);
#else
  (void)gpu;
  throw Error(
      fmt::format("--repository: {} is a TorchScript model; this build has no libtorch "
                  "(Debian: libtorch-dev)",
                  r.name));
#endif
}

json curve_json(const std::string& device_class, int degree,
                const std::vector<exec::MeasuredPoint>& points) {
  json p = json::array();
  for (const auto& m : points)
    p.push_back({{"batch", m.batch}, {"latency_ms", std::round(to_ms(m.median) * 1e4) / 1e4}});
  return {{"device_class", device_class},
          {"gpus", degree},
          {"max_batch", points.back().batch},
          {"points", std::move(p)}};
}

// Adds the curves to the scenario's profile `name` (replacing curves of the same device class
// and degree; adding the profile when absent), then checks the result parses as a scenario.
std::string merge_into(const std::string& scenario_path, const std::string& out_path,
                       const json& profile) {
  json scenario;
  try {
    scenario = json::parse(io::read_text_file(scenario_path));
  } catch (const json::exception& e) {
    throw InvalidArgument(fmt::format("{}: invalid JSON: {}", scenario_path, e.what()));
  }
  EPARA_EXPECTS(
      scenario.is_object() && scenario.contains("profiles") && scenario["profiles"].is_array(),
      scenario_path + ": profiles: expected an array");
  json* target = nullptr;
  for (json& p : scenario["profiles"])
    if (p.is_object() && p.value("name", "") == profile["name"]) target = &p;
  if (!target) {
    scenario["profiles"].push_back(profile);
  } else {
    json kept = json::array();
    for (const json& c : (*target)["curves"]) {
      bool replaced = false;
      for (const json& n : profile["curves"])
        replaced |=
            c.value("device_class", "") == n["device_class"] && c.value("gpus", 1) == n["gpus"];
      if (!replaced) kept.push_back(c);
    }
    for (const json& n : profile["curves"]) kept.push_back(n);
    (*target)["curves"] = std::move(kept);
    (*target)["source"] = profile["source"];
    (*target)["measured"] = profile["measured"];
  }
  std::string text = scenario.dump(1) + "\n";
  io::parse_scenario(text, out_path);  // names the field at fault, e.g. an unknown device class
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Measures a reference model's latency by batch size on this machine and writes a Profile "
      "(docs/executors.md)."};
  epara::cli::add_standard_options(app);
  Options o;
  app.add_option("--model", o.model,
                 "dense (a chain of dense layers) or attention; with --repository, a model of it");
  app.add_option("--repository", o.repository,
                 "A model repository (docs/executors.md): measure its model --model");
  app.add_option("--backend", o.backend, "cpu, cuda, or auto (cuda when a GPU is usable)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--widths", o.widths, "Dense: layer widths, input first")->delimiter(',');
  app.add_option("--tokens", o.tokens, "Attention: tokens per item")->check(cli::positive);
  app.add_option("--dim", o.dim, "Attention: features per token")->check(cli::positive);
  app.add_option("--batches", o.settings.batches, "Batch sizes to measure")->delimiter(',');
  app.add_option("--degrees", o.degrees, "Pipeline stages per replica (dense), one per device")
      ->delimiter(',');
  app.add_option("--repeats", o.settings.repeats, "Timed passes per point (median kept)");
  app.add_option("--warmup", o.settings.warmup, "Untimed passes per point");
  app.add_option("--seed", o.seed, "Seed of the model's weights");
  app.add_option("--name", o.name, "Profile name (default: reference-<model>)");
  app.add_option("--device-class", o.device_class,
                 "Device class of the curves (default: host-cpu, or the GPU's name)");
  app.add_option("--into", o.into, "Merge the profile into this scenario (needs --out)");
  app.add_option("--out", o.out, "Write here instead of standard output");
  CLI11_PARSE(app, argc, argv);

  return cli::run_reporting_errors("epara-profile", [&] {
    std::sort(o.settings.batches.begin(), o.settings.batches.end());
    EPARA_EXPECTS(!o.settings.batches.empty() && o.settings.batches.front() >= 1,
                  "--batches: sizes must be >= 1");
    EPARA_EXPECTS(o.settings.repeats >= 1, "--repeats: must be >= 1");
    EPARA_EXPECTS(o.into.empty() || !o.out.empty(), "--into needs --out (the merged scenario)");
    const bool from_repository = !o.repository.empty();
    EPARA_EXPECTS(from_repository || o.model == "dense" || o.model == "attention",
                  fmt::format("--model: '{}' is no reference model (dense, attention); give "
                              "--repository for a repository's model",
                              o.model));
    const bool gpu = o.backend == "cuda" || (o.backend == "auto" && have_gpu());
#ifndef EPARA_WITH_CUDA
    if (gpu) throw Error("--backend cuda: this build has no CUDA support (nvcc was not found)");
#endif
    int devices = 1;
    std::string where = "host CPU (Eigen)", gpu_name;
#ifdef EPARA_WITH_CUDA
    if (gpu) {
      const cuda::DeviceQuery q = cuda::query_devices();
      if (q.count == 0) throw CudaError("--backend cuda: no CUDA device: " + q.detail);
      devices = q.count;
      gpu_name = cuda::device_name(0);
      where = gpu_name + " (cuBLAS)";
      if (o.device_class.empty()) o.device_class = slug(gpu_name);
    }
#endif
    if (o.device_class.empty()) o.device_class = "host-cpu";
    if (from_repository) where = gpu ? gpu_name + " (libtorch)" : "host CPU (libtorch)";
    if (o.name.empty()) o.name = from_repository ? o.model : "reference-" + o.model;
    for (int k : o.degrees) {
      EPARA_EXPECTS(k >= 1, "--degrees: must be >= 1");
      EPARA_EXPECTS(k == 1 || (o.model == "dense" && !from_repository),
                    "--degrees: only the dense reference model runs in stages");
      if (gpu)
        EPARA_EXPECTS(k <= devices,
                      fmt::format("--degrees: {} stages need {} GPUs; {} present", k, k, devices));
    }
    json curves = json::array();
    fmt::print(stderr, "{} on {}\n{:>6} {:>6} {:>12} {:>12} {:>12}\n", o.name, where, "stages",
               "batch", "median ms", "p90 ms", "items/s");
    for (int k : o.degrees) {
      std::vector<exec::MeasuredPoint> points;
      if (from_repository) {
        points = measure_repository(o, gpu);
      } else {
#ifdef EPARA_WITH_CUDA
        if (gpu) points = measure<cuda::DenseChain, cuda::Attention>(o, k);
#endif
        if (!gpu) points = measure<exec::CpuDenseChain, exec::CpuAttention>(o, k);
      }
      for (const auto& m : points)
        fmt::print(stderr, "{:>6} {:>6} {:>12.4f} {:>12.4f} {:>12.1f}\n", k, m.batch,
                   to_ms(m.median), to_ms(m.p90),
                   static_cast<double>(m.batch) / to_seconds(m.median));
      curves.push_back(curve_json(o.device_class, k, points));
    }
    const json profile = {{"name", o.name},
                          {"source", fmt::format("measured by epara-profile on {}", where)},
                          {"curves", std::move(curves)},
                          {"measured",
                           {{"machine", gpu ? gpu_name : cpu_description()},
                            {"libraries", libraries(gpu, from_repository)},
                            {"date", fmt::format("{:%Y-%m-%d}", fmt::gmtime(std::time(nullptr)))},
                            {"repeats", o.settings.repeats}}}};
    const std::string text =
        o.into.empty() ? profile.dump(2) + "\n" : merge_into(o.into, o.out, profile);
    if (o.out.empty())
      fmt::print("{}", text);
    else
      cli::write_text_file(o.out, text);
    return 0;
  });
}
