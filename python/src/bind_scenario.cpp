// Scenarios, profiles, categorization and allocation.

#include <pybind11/stl.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "epara/categorize.hpp"
#include "epara/io/scenario_json.hpp"
#include "epara/parallel/allocator.hpp"
#include "epara/parallel/explain.hpp"
#include "py_scenario.hpp"

namespace py = pybind11;

namespace epara::python {
namespace {

// Raises the OSError subclass `type` for `path`, as open() would (errno, message, filename).
[[noreturn]] void raise_os_error(PyObject* type, int error, const std::string& path) {
  const py::object e = py::reinterpret_borrow<py::object>(type)(error, std::strerror(error), path);
  PyErr_SetObject(type, e.ptr());
  throw py::error_already_set();
}

PyScenario load(const std::string& path) {
  std::error_code ignored;
  const auto status = std::filesystem::status(path, ignored);
  if (!std::filesystem::exists(status)) raise_os_error(PyExc_FileNotFoundError, ENOENT, path);
  if (std::filesystem::is_directory(status)) raise_os_error(PyExc_IsADirectoryError, EISDIR, path);
  PyScenario s{{}, io::read_text_file(path), path, std::filesystem::path(path).parent_path()};
  s.scenario = io::parse_scenario(s.text, path);
  return s;
}

PyScenario parse_in(const std::string& text, const std::string& source,
                    const std::filesystem::path& base_dir) {
  return {io::parse_scenario(text, source), text, source, base_dir};
}

PyScenario parse(const std::string& text, const std::string& source) {
  return parse_in(text, source, std::filesystem::current_path());
}

// The scenario as the JSON format, with the top-level sections a Scenario does not hold
// (`simulation`, `deployment`) from its text and a trace file made absolute, so that
// parse_scenario(json.dumps(d)) simulates as the original does.
py::dict to_dict(const PyScenario& s) {
  py::dict d = from_json(io::scenario_to_json(s.scenario));
  const py::dict original = from_json(s.text);
  for (const char* section : {"simulation", "deployment"})
    if (original.contains(section)) d[section] = original[section];
  if (d.contains("simulation")) {
    const py::object simulation = d["simulation"];
    if (py::isinstance<py::dict>(simulation) && simulation.contains("trace")) {
      const py::object trace = simulation["trace"];
      if (py::isinstance<py::dict>(trace) && trace.contains("file")) {
        const auto file = s.base_dir / trace["file"].cast<std::string>();
        trace["file"] = std::filesystem::absolute(file).lexically_normal().string();
      }
    }
  }
  return d;
}

/// The id `found` holds, or InvalidArgument "unknown <what> '<name>'".
template <class Id>
Id expect_found(std::optional<Id> found, const char* what, const std::string& name) {
  if (!found) throw InvalidArgument(fmt::format("unknown {} '{}'", what, name));
  return *found;
}

double predict_latency_ms(const PyScenario& s, const std::string& profile,
                          const std::string& device_class, int gpus, int batch) {
  const Scenario& sc = s.scenario;
  const ProfileId p = expect_found(sc.find_profile(profile), "profile", profile);
  const DeviceClassId dc =
      expect_found(sc.cluster.find_device_class(device_class), "device class", device_class);
  EPARA_EXPECTS(batch >= 1, "predict_latency_ms: batch must be >= 1");
  const auto choice = choose_curve(sc.profile(p), sc.cluster.device_classes, dc, gpus);
  EPARA_EXPECTS(choice.has_value(),
                fmt::format("profile '{}' has no curve for {} x {}", profile, gpus, device_class));
  return to_ms(choice->latency(batch));
}

py::list categorize_all(const PyScenario& s) {
  py::list out;
  for (std::size_t i = 0; i < s.scenario.services.size(); ++i) {
    const Categorization c = categorize(s.scenario, id_at<ServiceId>(i));
    py::dict d;
    d["service"] = s.scenario.services[i].name;
    d["category"] = std::string(code(c.category));
    d["rule"] = std::string(to_string(c.rule));
    d["device_class"] = s.scenario.cluster.device_classes[index_of(c.device_class)].name;
    d["reason"] = c.reason;
    out.append(std::move(d));
  }
  return out;
}

/// One service's allocation, flattened for Python.
struct PyPlan {
  std::string service, category, status, reason, modes, device_class, explanation;
  bool feasible = false;
  int gpus_per_replica = 0, replicas = 0, max_batch = 0, frames_per_pass = 0;
  double batch_timeout_ms = 0, worst_latency_ms = 0, demand_per_s = 0, capacity_per_s = 0,
         devices = 0, gpu_equivalents = 0, utilization = 0;
};

PyPlan flatten(const Scenario& s, ServiceId id, const ServiceAllocation& r) {
  const ServiceSpec& service = s.service(id);
  const Plan& p = r.allocation.plan;
  PyPlan out;
  out.service = service.name;
  out.category = std::string(code(r.categorization.category));
  out.status = std::string(to_string(r.allocation.status));
  out.reason = r.allocation.reason;
  out.feasible = r.allocation.feasible();
  out.modes = p.modes.to_string();
  out.device_class = s.cluster.device_classes[index_of(p.device_class)].name;
  out.gpus_per_replica = p.gpus_per_replica;
  out.replicas = p.replicas;
  out.max_batch = p.max_batch;
  out.frames_per_pass = p.frames_per_pass;
  out.batch_timeout_ms = to_ms(p.batch_timeout);
  out.worst_latency_ms = to_ms(p.worst_latency);
  out.demand_per_s = p.demand.per_second;
  out.capacity_per_s = p.capacity.per_second;
  out.devices = p.devices();
  out.gpu_equivalents = gpu_equivalents(p, s.cluster);
  out.utilization = p.utilization;
  out.explanation = explain(p, service.slo, s.cluster.device_classes);
  return out;
}

std::vector<PyPlan> allocate_all(const PyScenario& py_scenario) {
  const Scenario& s = py_scenario.scenario;
  const Allocator<> allocator;
  const auto loads = total_load(s.demand, s.services.size());
  std::vector<PyPlan> plans;
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    if (loads[i].rate.per_second <= 0.0 && loads[i].streams == 0) continue;
    const auto id = id_at<ServiceId>(i);
    plans.push_back(flatten(s, id, allocate_service(allocator, s, id, loads[i])));
  }
  return plans;
}

}  // namespace

void bind_scenario(py::module_& m) {
  py::class_<PyScenario>(m, "Scenario",
                         "A cluster, its profiles, services and demand (docs/scenario-format.md).")
      .def_readonly("source", &PyScenario::source, "Where it was read from.")
      .def_property_readonly(
          "services",
          [](const PyScenario& s) {
            std::vector<std::string> names;
            for (const ServiceSpec& x : s.scenario.services) names.push_back(x.name);
            return names;
          },
          "Service names, in declaration order.")
      .def_property_readonly(
          "servers",
          [](const PyScenario& s) {
            std::vector<std::string> names;
            for (const ServerSpec& x : s.scenario.cluster.servers) names.push_back(x.name);
            return names;
          },
          "Server names, in declaration order.")
      .def_property_readonly(
          "gpu_count", [](const PyScenario& s) { return s.scenario.cluster.gpu_count(); },
          "GPUs in the cluster.")
      .def_property_readonly(
          "cpu_count", [](const PyScenario& s) { return s.scenario.cluster.cpu_count(); },
          "Servers with a CPU that runs services (microcomputers, CPU-only edge servers).")
      .def_property_readonly(
          "profiles",
          [](const PyScenario& s) -> py::object {  // a value, not an accessor into a temporary
            const py::object whole = from_json(io::scenario_to_json(s.scenario));
            return whole["profiles"];
          },
          "Latency profiles: name, source, curves (device class, GPUs, max batch, measured "
          "points).")
      .def("to_dict", &to_dict,
           "The whole scenario as plain dicts and lists (the JSON format), its `simulation` "
           "and `deployment` sections included: parse_scenario(json.dumps(d)) gives it back.")
      .def("predict_latency_ms", &predict_latency_ms, py::arg("profile"), py::arg("device_class"),
           py::arg("gpus"), py::arg("batch"),
           "Latency of one pass of `batch` items on `gpus` devices of the class, from the "
           "profile (measured points, the least-squares fit between them, or the nearest "
           "class's curve scaled by speed).")
      .def(py::pickle(  // pickled as its text: a worker process gets it without the file
          [](const PyScenario& s) { return py::make_tuple(s.text, s.source, s.base_dir.string()); },
          [](const py::tuple& t) {
            if (t.size() != 3) throw InvalidArgument("Scenario: not a pickled scenario");
            return parse_in(t[0].cast<std::string>(), t[1].cast<std::string>(),
                            t[2].cast<std::string>());
          }))
      .def("__repr__", [](const PyScenario& s) {
        return fmt::format("<epara.Scenario {}: {} servers, {} GPUs, {} services>", s.source,
                           s.scenario.cluster.servers.size(), s.scenario.cluster.gpu_count(),
                           s.scenario.services.size());
      });

  m.def("load_scenario", &load, py::arg("path"),
        "Reads a scenario JSON file: FileNotFoundError when there is none, ValueError naming "
        "the file and field of a bad one.");
  m.def("parse_scenario", &parse, py::arg("text"), py::arg("source") = "<string>",
        "Parses scenario JSON text; `source` names it in error messages.");
  m.def("categorize", &categorize_all, py::arg("scenario"),
        "Each service's category (LS-1, LS-N, FS-1, FS-N), the rule that decided and why.");

  py::class_<PyPlan>(m, "Plan", "One service's parallel plan for its demand.")
      .def_readonly("service", &PyPlan::service)
      .def_readonly("category", &PyPlan::category)
      .def_readonly("feasible", &PyPlan::feasible)
      .def_readonly("status", &PyPlan::status)
      .def_readonly("reason", &PyPlan::reason, "Why it is infeasible (empty when feasible).")
      .def_readonly("modes", &PyPlan::modes, "e.g. 'model-parallel+batching'")
      .def_readonly("device_class", &PyPlan::device_class)
      .def_readonly("gpus_per_replica", &PyPlan::gpus_per_replica)
      .def_readonly("replicas", &PyPlan::replicas)
      .def_readonly("max_batch", &PyPlan::max_batch)
      .def_readonly("frames_per_pass", &PyPlan::frames_per_pass)
      .def_readonly("batch_timeout_ms", &PyPlan::batch_timeout_ms)
      .def_readonly("worst_latency_ms", &PyPlan::worst_latency_ms)
      .def_readonly("demand_per_s", &PyPlan::demand_per_s)
      .def_readonly("capacity_per_s", &PyPlan::capacity_per_s)
      .def_readonly("devices", &PyPlan::devices, "Devices occupied (fractional when shared).")
      .def_readonly("gpu_equivalents", &PyPlan::gpu_equivalents)
      .def_readonly("utilization", &PyPlan::utilization)
      .def_readonly("explanation", &PyPlan::explanation, "The plan's derivation in words.")
      .def(
          "to_dict",
          [](const PyPlan& p) {
            py::dict d;
            d["service"] = p.service;
            d["category"] = p.category;
            d["feasible"] = p.feasible;
            d["status"] = p.status;
            d["reason"] = p.reason;
            d["modes"] = p.modes;
            d["device_class"] = p.device_class;
            d["gpus_per_replica"] = p.gpus_per_replica;
            d["replicas"] = p.replicas;
            d["max_batch"] = p.max_batch;
            d["frames_per_pass"] = p.frames_per_pass;
            d["batch_timeout_ms"] = p.batch_timeout_ms;
            d["worst_latency_ms"] = p.worst_latency_ms;
            d["demand_per_s"] = p.demand_per_s;
            d["capacity_per_s"] = p.capacity_per_s;
            d["devices"] = p.devices;
            d["gpu_equivalents"] = p.gpu_equivalents;
            d["utilization"] = p.utilization;
            d["explanation"] = p.explanation;
            return d;
          },
          "Every field as a dict: pandas.DataFrame([p.to_dict() for p in plans]) works.")
      .def("__repr__", [](const PyPlan& p) {
        return fmt::format("<epara.Plan {} {}: {}>", p.service, p.category, p.explanation);
      });
  m.def("allocate", &allocate_all, py::arg("scenario"),
        "The parallel plan of every service with demand, at the least GPU cost that meets its "
        "SLO (or infeasible, with the reason and the closest plan).");
}

}  // namespace epara::python
