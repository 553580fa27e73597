// A simulation strategy written in Python: an object with deploy() and route() that simulate()
// runs beside the built-in strategies on the same arrivals (docs/python.md).

#include <algorithm>
#include <optional>

#include <pybind11/stl.h>

#include <fmt/format.h>

#include "epara/parallel/allocator.hpp"
#include "epara/sim/strategy.hpp"
#include "py_strategy.hpp"

namespace py = pybind11;

namespace epara::python {
namespace {

// A device as a Python strategy names it: a GPU slot, or "cpu" as the placement JSON writes it.
py::object device_of(DeviceSlot slot) {
  return slot == cpu_slot ? py::object(py::str("cpu")) : py::object(py::int_(slot));
}

// The simulation as a Python strategy sees it during one callback: what a real server could
// know — the scenario, the instances on the server deciding (`at`), and the other servers
// through its ring-synced view. Unusable once the callback returns.
// A placement callback (deploy, replan, on_failure) decides for the cluster, as EPARA's
// scheduler does: it sees the measured demand and what is loaded where, but no server's queues.
class SimHandle {
 public:
  SimHandle(sim::SimView& sim, std::optional<ServerId> at, Time now)
      : sim_(&sim), at_(at), now_(now) {}
  void close() { sim_ = nullptr; }

  double now_s() const { return to_seconds(now_.time_since_epoch()); }
  int hop_limit() const { return view().config().handler.hop_limit; }
  std::vector<std::string> services() const {
    std::vector<std::string> out;
    for (const ServiceSpec& s : view().scenario().services) out.push_back(s.name);
    return out;
  }
  std::vector<std::string> servers() const {
    std::vector<std::string> out;
    for (const ServerSpec& s : view().scenario().cluster.servers) out.push_back(s.name);
    return out;
  }
  // Per GPU slot of `server`, its device class.
  std::vector<std::string> gpus(const std::string& server) const {
    const Cluster& c = view().scenario().cluster;
    std::vector<std::string> out;
    for (DeviceClassId g : c.server(server_id(server)).gpus) out.push_back(c.device_class(g).name);
    return out;
  }
  std::optional<std::string> cpu(const std::string& server) const {
    const Cluster& c = view().scenario().cluster;
    const auto& cpu = c.server(server_id(server)).cpu;
    return cpu ? std::optional(c.device_class(*cpu).name) : std::nullopt;
  }
  py::list declared_demand() const {
    const Scenario& s = view().scenario();
    py::list out;
    for (const Demand& d : view().declared_demand())
      out.append(py::make_tuple(s.service(d.service).name, s.cluster.server(d.origin).name,
                                d.rate.per_second, d.streams));
    return out;
  }
  // The allocator's plan for `service`'s declared load: what a replica needs.
  py::dict plan(const std::string& service) const {
    const Scenario& s = view().scenario();
    const ServiceId id = service_id(service);
    const auto loads = total_load(view().declared_demand(), s.services.size());
    const Allocation a = allocate_service(Allocator<>{}, s, id, loads[index_of(id)]).allocation;
    py::dict d;
    d["feasible"] = a.feasible();
    d["device_class"] = s.cluster.device_class(a.plan.device_class).name;
    d["gpus_per_replica"] = a.plan.gpus_per_replica;
    d["replicas"] = a.plan.replicas;
    d["max_batch"] = a.plan.max_batch;
    return d;
  }
  // What the scheduler measured since the last re-placement: (service, origin, rate_per_s).
  py::list measured_demand() const {
    const Scenario& s = placing_view().scenario();
    py::list out;
    for (const Demand& d : placing_view().measured_demand(now_))
      out.append(py::make_tuple(s.service(d.service).name, s.cluster.server(d.origin).name,
                                d.rate.per_second));
    return out;
  }
  // The instances loaded or loading now, in deploy()'s form: (service, server, [slots] or
  // "cpu").
  py::list placed() const {
    const Scenario& s = placing_view().scenario();
    py::list out;
    for (const LoadedInstance& i : placing_view().loaded()) {
      py::object devices = device_of(cpu_slot);  // a CPU instance: "cpu", not a list
      if (i.devices != std::vector<DeviceSlot>{cpu_slot}) {
        py::list slots;
        for (DeviceSlot d : i.devices) slots.append(device_of(d));
        devices = std::move(slots);
      }
      out.append(py::make_tuple(s.service(i.service).name, s.cluster.server(i.server).name,
                                std::move(devices)));
    }
    return out;
  }
  // The devices down now, as (server, GPU slot or "cpu"); a whole server down lists each one.
  py::list devices_down() const {
    const Scenario& s = placing_view().scenario();
    py::list out;
    for (const DeviceRef& d : placing_view().devices_down())
      out.append(py::make_tuple(s.cluster.server(d.server).name, device_of(d.slot)));
    return out;
  }
  bool server_up(const std::string& server) const {
    return placing_view().server_up(server_id(server));
  }

  // The instances of `service` serving on the deciding server (deploy(): on `server`).
  std::vector<std::uint32_t> local_instances(const std::string& service) const {
    const auto here = view().serving_on(deciding(), service_id(service));
    return {here.begin(), here.end()};
  }
  py::dict instance(std::uint32_t id) const {
    if (id >= view().instance_count()) throw InvalidArgument(fmt::format("no instance {}", id));
    const sim::InstanceState st = view().instance(id);
    if (st.server != deciding())
      throw InvalidArgument(
          fmt::format("instance {} is on another server: a strategy sees "
                      "other servers only through peers()",
                      id));
    py::dict d;
    d["service"] = view().scenario().service(st.service).name;
    d["queued"] = view().queued(deciding(), id);
    d["max_batch"] = st.max_batch;
    d["capacity_per_s"] = st.capacity;
    d["predicted_finish_s"] =
        to_seconds(view().predicted_finish(deciding(), id, now_).time_since_epoch());
    return d;
  }
  // The other servers hosting `service`, as the deciding server's synced view has them.
  py::list peers(const std::string& service) const {
    py::list out;
    for (const PeerEstimate& p :
         sim_view().view_of(deciding()).peers_hosting(service_id(service))) {
      if (p.server == deciding()) continue;
      py::dict d;
      d["server"] = view().scenario().cluster.server(p.server).name;
      d["queue_s"] = to_seconds(p.queue);
      d["compute_s"] = to_seconds(p.compute);
      d["item_work_s"] = to_seconds(p.item_work);
      d["age_s"] = to_seconds(p.age);
      out.append(std::move(d));
    }
    return out;
  }
  // Counts one item of `service` sent to `server` into the synced view (until its next sync).
  void reserve(const std::string& server, const std::string& service) {
    SyncedView& v = sim_view().view_of(deciding());
    const ServiceId s = service_id(service);
    for (const PeerEstimate& p : v.peers_hosting(s))
      if (p.server == server_id(server)) return v.reserve(p.server, s, p.item_work, 0.0);
  }

  ServerId server_id(const std::string& name) const {
    const auto id = view().scenario().cluster.find_server(name);
    if (!id) throw InvalidArgument(fmt::format("unknown server '{}'", name));
    return *id;
  }
  ServiceId service_id(const std::string& name) const {
    const auto id = view().scenario().find_service(name);
    if (!id) throw InvalidArgument(fmt::format("unknown service '{}'", name));
    return *id;
  }

 private:
  const sim::SimView& view() const { return sim_view(); }
  sim::SimView& sim_view() const {
    if (sim_ == nullptr)
      throw InvalidArgument("the simulation handle is used after its callback returned");
    return *sim_;
  }
  ServerId deciding() const {
    if (!at_)
      throw InvalidArgument(
          "a placement callback decides for no server: no local instances or peers");
    return *at_;
  }
  const sim::SimView& placing_view() const {
    if (at_)
      throw InvalidArgument(
          "route() decides for one server: the cluster's demand, placement and faults are "
          "the placement callbacks' (deploy, replan, on_failure)");
    return view();
  }
  sim::SimView* sim_;
  std::optional<ServerId> at_;
  Time now_;
};

// Closes the handle when the callback ends, however it ends.
struct HandleGuard {
  py::object handle;
  ~HandleGuard() { handle.cast<SimHandle&>().close(); }
};

// The instance a deploy() entry asks for: the profile's timing on its devices, batches up to
// the largest whose pass takes at most half the deadline, no gather timeout (a pass starts as
// soon as the devices are free, with what is queued).
sim::InstanceSpec instance_spec(const Scenario& s, const SimHandle& h, const py::handle& entry) {
  const auto [service, server, where] =
      entry.cast<std::tuple<std::string, std::string, py::object>>();
  const ServiceId id = h.service_id(service);
  const ServerId at = h.server_id(server);
  const ServerSpec& spec = s.cluster.server(at);
  std::vector<DeviceSlot> devices;
  DeviceClassId cls{};
  if (py::isinstance<py::str>(where)) {  // "cpu", as in the placement JSON
    if (where.cast<std::string>() != "cpu" || !spec.cpu)
      throw InvalidArgument(
          fmt::format("deploy: server '{}' has no device '{}'", server, where.cast<std::string>()));
    devices.push_back(cpu_slot);
    cls = *spec.cpu;
  } else {
    const auto slots = where.cast<std::vector<int>>();
    if (slots.empty()) throw InvalidArgument(fmt::format("deploy: '{}' on no devices", service));
    for (int slot : slots) {
      if (slot < 0 || static_cast<std::size_t>(slot) >= spec.gpus.size())
        throw InvalidArgument(fmt::format("deploy: server '{}' has no GPU {}", server, slot));
      if (std::find(devices.begin(), devices.end(), slot) != devices.end())
        throw InvalidArgument(fmt::format("deploy: GPU {} listed twice", slot));
      devices.push_back(static_cast<DeviceSlot>(slot));
    }
    cls = spec.gpus[static_cast<std::size_t>(slots.front())];
  }
  const auto slot_count = devices.size();
  const auto timing =
      replica_timing(s, id, cls, static_cast<int>(slot_count), TimingSource::Profiled);
  if (!timing)
    throw InvalidArgument(fmt::format("deploy: '{}' has no profile for {} x {}", service,
                                      slot_count, s.cluster.device_class(cls).name));
  int batch = 1;
  while (batch < timing->max_batch() &&
         timing->pass_at(batch + 1) <= s.service(id).slo.deadline / 2)
    ++batch;
  return {id, at, std::move(devices), {batch, Duration::zero(), *timing}};
}

}  // namespace

PyStrategy::PyStrategy(py::object strategy) : strategy_(std::move(strategy)) {
  const py::gil_scoped_acquire gil;
  name_ = py::hasattr(strategy_, "name")
              ? strategy_.attr("name").cast<std::string>()
              : strategy_.get_type().attr("__name__").cast<std::string>();
  synchronizes_ =
      py::hasattr(strategy_, "synchronizes") && strategy_.attr("synchronizes").cast<bool>();
  for (const char* method : {"deploy", "route"})
    if (!py::hasattr(strategy_, method))
      throw InvalidArgument(fmt::format("strategy '{}' has no {}() method", name_, method));
  // A method set to None is absent (a subclass can turn one off).
  const auto has = [&](const char* method) {
    return py::hasattr(strategy_, method) && !strategy_.attr(method).is_none();
  };
  has_replan_ = has("replan");
  has_on_failure_ = has("on_failure");
  has_assign_stream_ = has("assign_stream");
  has_admit_stream_ = has("admit_stream");
  has_release_stream_ = has("release_stream");
  if (py::hasattr(strategy_, "replan_period_s")) {
    const auto seconds = strategy_.attr("replan_period_s").cast<double>();
    if (!(seconds > 0) || seconds > 1e6)
      throw InvalidArgument(fmt::format(
          "strategy '{}': replan_period_s = {} (expected seconds in (0, 1e6])", name_, seconds));
    replan_period_ = from_seconds(seconds);
  }
}

PyStrategy::~PyStrategy() {
  const py::gil_scoped_acquire gil;
  strategy_ = py::object();
}

std::optional<std::vector<sim::InstanceSpec>> PyStrategy::place(const char* method,
                                                                sim::SimView& sim, Time now) {
  const py::gil_scoped_acquire gil;
  const HandleGuard guard{py::cast(SimHandle(sim, std::nullopt, now))};
  const py::object wanted = strategy_.attr(method)(guard.handle);
  if (wanted.is_none()) return std::nullopt;
  if (!py::isinstance<py::iterable>(wanted) || py::isinstance<py::str>(wanted))
    throw InvalidArgument(fmt::format(
        "{}: returned {}; expected a list of (service, server, [GPU slots] or \"cpu\") or None",
        method, py::str(wanted.get_type().attr("__name__")).cast<std::string>()));
  std::vector<sim::InstanceSpec> out;
  try {
    for (const py::handle entry : wanted)
      out.push_back(instance_spec(sim.scenario(), guard.handle.cast<const SimHandle&>(), entry));
  } catch (const py::cast_error&) {
    throw InvalidArgument(
        fmt::format("{}: an entry is not (service, server, [GPU slots] or \"cpu\")", method));
  }
  return out;
}

std::vector<sim::InstanceSpec> PyStrategy::deploy(sim::SimView& sim) {
  auto wanted = place("deploy", sim, Time{});
  if (!wanted) throw InvalidArgument("deploy: returned None; expected a list (may be empty)");
  return std::move(*wanted);
}

std::optional<std::vector<sim::InstanceSpec>> PyStrategy::replan(sim::SimView& sim, Time now) {
  if (!has_replan_) return std::nullopt;
  return place("replan", sim, now);
}

Duration PyStrategy::replan_period(const sim::SimulationConfig& config) const {
  return replan_period_.value_or(config.placement_period);
}

std::optional<std::vector<sim::InstanceSpec>> PyStrategy::on_failure(sim::SimView& sim, Time now) {
  if (!has_on_failure_) return std::nullopt;
  return place("on_failure", sim, now);
}

Decision PyStrategy::route(sim::SimView& sim, Request& r, ServerId at, Time now) {
  const py::gil_scoped_acquire gil;
  const HandleGuard guard{py::cast(SimHandle(sim, at, now))};
  const Scenario& s = sim.scenario();
  py::dict request;
  request["service"] = s.service(r.service).name;
  request["origin"] = s.cluster.server(r.origin).name;
  request["at"] = s.cluster.server(at).name;
  request["deadline_s"] = to_seconds(r.deadline.time_since_epoch());
  request["hops"] = r.route.hops();
  request["visited"] = [&] {
    py::list v;
    for (std::size_t i = 0; i < r.route.count; ++i)
      v.append(s.cluster.server(r.route.servers[i]).name);
    return v;
  }();
  const auto [kind, target] =
      strategy_.attr("route")(guard.handle, request).cast<std::tuple<std::string, py::object>>();
  const SimHandle& h = guard.handle.cast<const SimHandle&>();
  if (kind == "local") {
    const auto id = target.cast<std::uint32_t>();
    const auto here = sim.serving_on(at, r.service);
    if (std::find(here.begin(), here.end(), id) == here.end())
      throw InvalidArgument(fmt::format("route: instance {} does not serve '{}' on '{}'", id,
                                        s.service(r.service).name, s.cluster.server(at).name));
    const Time finish = sim.predicted_finish(at, id, now);
    return RunLocal{id, finish, finish > r.deadline};
  }
  if (kind == "offload") return Offload{h.server_id(target.cast<std::string>()), Time{}};
  if (kind == "reject") {
    const auto reason = target.cast<std::string>();
    for (RejectReason x :
         {RejectReason::NoInstance, RejectReason::Overloaded, RejectReason::HopLimit})
      if (to_string(x) == reason) return Reject{x};
    throw InvalidArgument(fmt::format(
        "route: unknown reject reason '{}' (no-instance, overloaded, hop-limit)", reason));
  }
  throw InvalidArgument(fmt::format(
      "route: returned ('{}', ...); expected ('local', id), ('offload', server) or ('reject', "
      "reason)",
      kind));
}

std::optional<StreamAssignment> PyStrategy::assign_stream(sim::SimView& sim, ServiceId service,
                                                          ServerId origin, Time now,
                                                          std::span<const ServerId> declined) {
  if (!has_assign_stream_) return std::nullopt;
  const py::gil_scoped_acquire gil;
  const HandleGuard guard{py::cast(SimHandle(sim, origin, now))};
  const Scenario& s = sim.scenario();
  py::dict stream;
  stream["service"] = s.service(service).name;
  stream["origin"] = s.cluster.server(origin).name;
  stream["declined"] = [&] {
    py::list out;
    for (ServerId d : declined) out.append(s.cluster.server(d).name);
    return out;
  }();
  const py::object targets = strategy_.attr("assign_stream")(guard.handle, stream);
  if (targets.is_none()) return std::nullopt;
  std::vector<std::string> names;
  try {
    names = targets.cast<std::vector<std::string>>();
  } catch (const py::cast_error&) {
    throw InvalidArgument(
        "assign_stream: expected a list of target server names (item k goes to targets[k % n]) "
        "or None");
  }
  if (names.empty())
    throw InvalidArgument(
        "assign_stream: returned no targets; None routes the stream's items one by one");
  StreamAssignment a{service, {}, static_cast<int>(names.size()), {}};
  const SimHandle& h = guard.handle.cast<const SimHandle&>();
  for (const std::string& name : names) a.targets.push_back(h.server_id(name));
  return a;
}

bool PyStrategy::admit_stream(sim::SimView& sim, ServiceId service, ServerId target, double rate,
                              Time now) {
  if (!has_admit_stream_) return true;
  const py::gil_scoped_acquire gil;
  const HandleGuard guard{py::cast(SimHandle(sim, target, now))};
  const py::object admitted =
      strategy_.attr("admit_stream")(guard.handle, sim.scenario().service(service).name, rate);
  if (!py::isinstance<py::bool_>(admitted))
    throw InvalidArgument("admit_stream: expected True or False");
  return admitted.cast<bool>();
}

void PyStrategy::release_stream(sim::SimView& sim, const StreamAssignment& a) {
  if (!has_release_stream_) return;
  const py::gil_scoped_acquire gil;
  const Scenario& s = sim.scenario();
  py::list targets;
  for (ServerId t : a.targets) targets.append(s.cluster.server(t).name);
  strategy_.attr("release_stream")(s.service(a.service).name, targets);
}

void bind_strategy(py::module_& m) {
  py::class_<SimHandle>(m, "SimHandle",
                        "The simulation as a Python strategy sees it during one callback.")
      .def_property_readonly("now_s", &SimHandle::now_s)
      .def_property_readonly("hop_limit", &SimHandle::hop_limit,
                             "Most offloads one request may take (the simulation's).")
      .def_property_readonly("services", &SimHandle::services)
      .def_property_readonly("servers", &SimHandle::servers)
      .def("gpus", &SimHandle::gpus, py::arg("server"), "Per GPU slot of the server, its class.")
      .def("cpu", &SimHandle::cpu, py::arg("server"),
           "The class of the server's CPU, or None when it has none (deploy on it as \"cpu\").")
      .def("declared_demand", &SimHandle::declared_demand,
           "(service, origin, rate_per_s, streams) per demand entry of the scenario.")
      .def("plan", &SimHandle::plan, py::arg("service"),
           "The allocator's plan for the service's declared load: feasible, device_class, "
           "gpus_per_replica, replicas, max_batch.")
      .def("measured_demand", &SimHandle::measured_demand,
           "(service, origin, rate_per_s) measured since the last re-placement (placement "
           "callbacks only).")
      .def("placed", &SimHandle::placed,
           "The instances loaded or loading, as (service, server, [GPU slots] or \"cpu\") "
           "(placement "
           "callbacks only).")
      .def("devices_down", &SimHandle::devices_down,
           "(server, GPU slot or \"cpu\") of every device down now (placement callbacks only).")
      .def("server_up", &SimHandle::server_up, py::arg("server"),
           "Whether the server is up (placement callbacks only).")
      .def("local_instances", &SimHandle::local_instances, py::arg("service"),
           "Ids of the instances of the service serving on the server deciding.")
      .def("instance", &SimHandle::instance, py::arg("id"),
           "A local instance: service, queued, max_batch, capacity_per_s, predicted_finish_s.")
      .def("peers", &SimHandle::peers, py::arg("service"),
           "Other servers hosting the service as the synced view has them: server, queue_s, "
           "compute_s, item_work_s, age_s (needs `synchronizes = True`).")
      .def("reserve", &SimHandle::reserve, py::arg("server"), py::arg("service"),
           "Counts one item sent to the server into the synced view until its next sync.");
}

}  // namespace epara::python
