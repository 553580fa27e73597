// Placement: the scheduler whole (`place`), and its parts for researchers — the ground set of
// candidate instances and greedy maximization of any objective, including one written in Python.

#include <pybind11/stl.h>

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>

#include "epara/io/placement_json.hpp"
#include "epara/placement/scheduler.hpp"
#include "py_scenario.hpp"

namespace py = pybind11;

namespace epara::python {
namespace {

template <class Enum, std::size_t N>
Enum parse_choice(const std::string& given, const char* what, const Enum (&choices)[N]) {
  std::string known;
  for (Enum e : choices) {
    if (to_string(e) == given) return e;
    known += (known.empty() ? "" : ", ") + std::string(to_string(e));
  }
  throw InvalidArgument(fmt::format("{}: unknown '{}' (known: {})", what, given, known));
}

GreedyVariant variant_of(const std::string& v) {
  return parse_choice(v, "variant",
                      {GreedyVariant::Plain, GreedyVariant::Lazy, GreedyVariant::Stochastic});
}

ObjectiveKind objective_of(const std::string& o) {
  return parse_choice(o, "objective", {ObjectiveKind::Flow, ObjectiveKind::Surrogate});
}

/// The candidates of one placement problem: instance types from the allocator for the
/// scenario's demand, on every server they fit. Keeps its scenario alive.
struct PyGroundSet {
  explicit PyGroundSet(const PyScenario& s)
      : ground(s.scenario,
               make_instance_types(Allocator<>{}, s.scenario,
                                   total_load(s.scenario.demand, s.scenario.services.size()), {}),
               s.scenario.demand, {}) {}
  // A copy of one the scheduler searches (a tier of its objective), keeping its scenario alive.
  PyGroundSet(const GroundSet& g, py::object scenario) : ground(g), owner(std::move(scenario)) {}
  GroundSet ground;
  py::object owner{};
};

/// An objective written in Python: any object with gain(c) -> float, commit(c) and value().
class PythonObjective {
 public:
  explicit PythonObjective(py::object o)
      : gain_(o.attr("gain")), commit_(o.attr("commit")), value_(o.attr("value")) {}
  double gain(std::size_t c) const { return gain_(c).cast<double>(); }
  void commit(std::size_t c) { commit_(c); }
  double value() const { return value_().cast<double>(); }

 private:
  py::object gain_, commit_, value_;
};
static_assert(SubmodularObjective<PythonObjective>);

// place()'s objective from Python: a callable that makes one per ground set — a class with
// gain/commit/value whose constructor takes the GroundSet, as examples/python's PySurrogate.
// Each ground set the scheduler searches is shown to Python once (a copy), however many
// objectives it makes on it.
ObjectiveFactory python_objective_factory(py::object make, py::object scenario) {
  auto shown = std::make_shared<std::map<const GroundSet*, py::object>>();
  return [make = std::move(make), scenario = std::move(scenario), shown](const GroundSet& g) {
    auto it = shown->find(&g);
    if (it == shown->end()) it = shown->emplace(&g, py::cast(PyGroundSet(g, scenario))).first;
    py::object objective = make(it->second);
    EPARA_EXPECTS(py::hasattr(objective, "gain") && py::hasattr(objective, "commit") &&
                      py::hasattr(objective, "value"),
                  "objective: the callable must return an object with gain(c), commit(c) and "
                  "value()");
    return AnyObjective(PythonObjective(std::move(objective)));
  };
}

py::object place(const py::object& scenario, const std::string& variant,
                 const py::object& objective, std::optional<double> load_budget_s,
                 double load_penalty, int local_search_moves, std::uint64_t seed,
                 const py::object& current, const std::string& weighting, bool serve_every_service,
                 bool spare_replicas, const py::object& attainment_floor, double headroom,
                 bool local_search_pairs) {
  if (!py::isinstance<PyScenario>(scenario))
    throw py::type_error("place: scenario must be an epara.Scenario");
  const PyScenario& s = scenario.cast<const PyScenario&>();
  SchedulerOptions o;
  o.variant = variant_of(variant);
  if (py::isinstance<py::str>(objective)) {
    o.objective = objective_of(objective.cast<std::string>());
  } else {
    EPARA_EXPECTS(PyCallable_Check(objective.ptr()) != 0,
                  "objective: give 'flow', 'surrogate', or a callable making an objective from "
                  "a GroundSet");
    o.custom_objective = python_objective_factory(objective, scenario);
  }
  o.weighting = parse_choice(weighting, "weighting", {Weighting::Items, Weighting::DemandShare});
  o.serve_every_service = serve_every_service;
  o.spare_replicas = spare_replicas;
  if (py::isinstance<py::str>(attainment_floor)) {
    EPARA_EXPECTS(attainment_floor.cast<std::string>() == "auto",
                  "attainment_floor: must be \"auto\" or a number in [0, 1]");
    o.choose_attainment_floor = true;
  } else {
    o.attainment_floor = attainment_floor.cast<double>();
  }
  o.headroom = headroom;
  if (load_budget_s) {
    EPARA_EXPECTS(*load_budget_s >= 0, "load_budget_s: must be >= 0");
    o.load_budget = from_seconds(*load_budget_s);
  }
  o.load_penalty = load_penalty;
  o.local_search_moves = local_search_moves;
  o.local_search_pairs = local_search_pairs;
  o.seed = seed;
  std::vector<LoadedInstance> loaded;
  if (!current.is_none()) {
    const auto text = py::module_::import("json").attr("dumps")(current).cast<std::string>();
    loaded = io::parse_loaded_instances(text, "current placement", s.scenario);
  }
  const Placement p = schedule(s.scenario, s.scenario.demand, loaded, o);
  return from_json(io::placement_to_json(p, s.scenario));
}

py::dict run_greedy(const PyGroundSet& gs, const py::object& objective, const std::string& variant,
                    std::optional<double> budget, double penalty, double epsilon,
                    std::uint64_t seed) {
  DeviceConstraints constraints(gs.ground);
  GreedyOptions g;
  g.variant = variant_of(variant);
  if (budget) g.budget = *budget;
  g.penalty = penalty;
  g.epsilon = epsilon;
  g.seed = seed;
  g.expected_picks = std::max<std::size_t>(1, constraints.devices().size());
  GreedyResult r;
  if (py::isinstance<py::str>(objective)) {
    const ObjectiveKind kind = objective_of(objective.cast<std::string>());
    if (kind == ObjectiveKind::Flow) {
      FlowObjective o(gs.ground);
      r = greedy(o, constraints, gs.ground.size(), g);
    } else {
      SurrogateObjective o(gs.ground);
      r = greedy(o, constraints, gs.ground.size(), g);
    }
  } else {
    EPARA_EXPECTS(py::hasattr(objective, "gain") && py::hasattr(objective, "commit") &&
                      py::hasattr(objective, "value"),
                  "objective: give 'flow', 'surrogate', or an object with gain(c), commit(c) "
                  "and value()");
    PythonObjective o(objective);
    r = greedy(o, constraints, gs.ground.size(), g);
  }
  py::dict out;
  out["chosen"] = r.chosen;
  out["value"] = r.value;
  out["cost"] = r.cost;
  out["evaluations"] = r.evaluations;
  out["termination"] = std::string(to_string(r.termination));
  out["singleton"] = r.singleton;
  return out;
}

py::list candidates(const PyGroundSet& gs) {
  const Scenario& s = gs.ground.scenario();
  py::list out;
  for (std::size_t c = 0; c < gs.ground.size(); ++c) {
    const Candidate& cand = gs.ground.candidates()[c];
    const InstanceType& t = gs.ground.type_of(c);
    py::dict d;
    d["service"] = s.service(t.service).name;
    d["service_index"] = index_of(t.service);
    d["server"] = s.cluster.servers[index_of(cand.server)].name;
    d["group"] = cand.group;
    d["type"] = cand.type;
    d["devices"] = t.devices;
    d["capacity"] = gs.ground.capacity(c);
    d["cost"] = gs.ground.cost(c);
    out.append(std::move(d));
  }
  return out;
}

py::list demand_nodes(const PyGroundSet& gs) {
  const Scenario& s = gs.ground.scenario();
  py::list out;
  for (const DemandNode& n : gs.ground.demand()) {
    py::dict d;
    d["service"] = s.service(n.service).name;
    d["service_index"] = index_of(n.service);
    d["origin"] = s.cluster.servers[index_of(n.origin)].name;
    d["demand"] = n.demand;
    out.append(std::move(d));
  }
  return out;
}

}  // namespace

void bind_placement(py::module_& m) {
  m.def("place", &place, py::arg("scenario"), py::arg("variant") = "lazy",
        py::arg("objective") = "flow", py::arg("load_budget_s") = py::none(),
        py::arg("load_penalty") = 0.0, py::arg("local_search_moves") = 64, py::arg("seed") = 1,
        py::arg("current") = py::none(), py::arg("weighting") = "items",
        py::arg("serve_every_service") = true, py::arg("spare_replicas") = true,
        py::arg("attainment_floor") = 0.0, py::arg("headroom") = 1.0,
        py::arg("local_search_pairs") = true,
        "Places service instances for the scenario's demand by greedy submodular maximization "
        "(docs/placement.md). `current`: a previous result (or {'instances': [...]}) whose "
        "instances are kept for free. `weighting`: items | demand-share. "
        "`serve_every_service`: every service with demand first gets one instance where one "
        "fits. `spare_replicas`: devices the objective leaves idle host spare replicas. "
        "`attainment_floor`: every service is served up to this share of its demand first; "
        "\"auto\": the scheduler chooses the floor that lifts the worst service most for at "
        "most 1% of the planned items. "
        "`headroom`: plans are sized for the demand times this, the extra placed last. "
        "`local_search_pairs`: local search also removes two instances together where no single "
        "removal helps. Returns the placement as dicts and lists.");

  py::class_<PyGroundSet>(m, "GroundSet",
                          "The candidate instances (instance type x server) of the scenario's "
                          "placement problem, and the demand nodes they serve.")
      .def(py::init<const PyScenario&>(), py::arg("scenario"), py::keep_alive<1, 2>())
      .def("__len__", [](const PyGroundSet& gs) { return gs.ground.size(); })
      .def_property_readonly("candidates", &candidates,
                             "Per candidate: service, server, group, type, devices, capacity "
                             "(in units: items/s x units_per_item), cost (load seconds).")
      .def_property_readonly("demand_nodes", &demand_nodes,
                             "Per (service, origin): demand in units.")
      .def_property_readonly(
          "weights",
          [](const PyGroundSet& gs) {
            std::vector<std::int64_t> w;
            for (std::size_t i = 0; i < gs.ground.scenario().services.size(); ++i)
              w.push_back(gs.ground.weight(id_at<ServiceId>(i)));
            return w;
          },
          "Value of one served unit, per service index.")
      .def(
          "demand_of",
          [](const PyGroundSet& gs, std::size_t service) {
            EPARA_EXPECTS(service < gs.ground.scenario().services.size(),
                          fmt::format("demand_of: no service {}", service));
            return gs.ground.demand_of(id_at<ServiceId>(service));
          },
          py::arg("service_index"), "Indices of the service's demand nodes.")
      .def(
          "reaches",
          [](const PyGroundSet& gs, std::size_t node, std::uint32_t group) {
            EPARA_EXPECTS(node < gs.ground.demand().size() && group < gs.ground.group_count(),
                          "reaches: node or group out of range");
            return gs.ground.reaches(node, group);
          },
          py::arg("node"), py::arg("group"),
          "Whether the demand node's items reach the group's server within their SLO.");
  m.attr("units_per_item") = units_per_item;

  m.def("greedy", &run_greedy, py::arg("ground_set"), py::arg("objective") = "flow",
        py::arg("variant") = "lazy", py::arg("budget") = py::none(), py::arg("penalty") = 0.0,
        py::arg("epsilon") = 0.1, py::arg("seed") = 1,
        "Greedy maximization over the ground set under its device constraints. `objective`: "
        "'flow', 'surrogate', or a Python object with gain(c) -> float (never larger after more "
        "commits), commit(c) and value(). Returns chosen candidates in commit order.");
}

}  // namespace epara::python
