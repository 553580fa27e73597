#include "epara/bound/fluid_bound.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "bound/linear_program.hpp"
#include "epara/parallel/replica_timing.hpp"

namespace epara::bound {

namespace detail {

[[noreturn]] void LinearProgram::throw_failure(const char* method, int rc, int status) {
  throw Error(
      fmt::format("bound: GLPK's {} failed (return code {}, status {})", method, rc, status));
}

}  // namespace detail

namespace {

// The best serving rate of one (service, device class, devices per replica) within a latency
// budget: over every batch whose pass fits, b / (k · interval(b)) items per device-second.
class RateByBudget {
 public:
  void add(const ReplicaTiming& t, double work) {
    for (int b = 1; b <= t.max_batch(); ++b) {
      const double pass = static_cast<double>(t.pass_at(b).count()) * work;
      const double interval = static_cast<double>(t.interval_at(b).count()) * work;
      points_.push_back({pass, b / (t.gpus * interval * 1e-9)});
    }
    std::sort(points_.begin(), points_.end(),
              [](const Point& x, const Point& y) { return x.pass_ns < y.pass_ns; });
    for (std::size_t i = 1; i < points_.size(); ++i)
      points_[i].rate = std::max(points_[i].rate, points_[i - 1].rate);
  }
  /// 0 when no pass fits the budget.
  double best_within(double budget_ns) const {
    const auto it = std::upper_bound(points_.begin(), points_.end(), budget_ns,
                                     [](double b, const Point& p) { return b < p.pass_ns; });
    return it == points_.begin() ? 0.0 : std::prev(it)->rate;
  }

 private:
  struct Point {
    double pass_ns;
    double rate;  // the best over every pass at most this long
  };
  std::vector<Point> points_;
};

// One kind of device at one server: `count` of the class (GPUs of a class, or the server's CPU).
struct DevicePool {
  ServerId server{};
  DeviceClassId device_class{};
  int count = 0;
};

// The devices that are up, pooled by server and class.
std::vector<DevicePool> device_pools_of(const Cluster& cluster, const Outage& outage) {
  std::vector<DevicePool> pools;
  for (std::size_t v = 0; v < cluster.servers.size(); ++v) {
    const ServerId id = id_at<ServerId>(v);
    if (std::ranges::find(outage.servers, id) != outage.servers.end()) continue;
    const ServerSpec& s = cluster.servers[v];
    const auto up = [&](DeviceSlot slot) {
      return std::ranges::find(outage.devices, DeviceRef{id, slot}) == outage.devices.end();
    };
    std::map<DeviceClassId, int> count;
    for (std::size_t g = 0; g < s.gpus.size(); ++g)
      if (up(static_cast<DeviceSlot>(g))) ++count[s.gpus[g]];
    if (s.cpu && up(cpu_slot)) ++count[*s.cpu];
    for (const auto& [cls, n] : count) pools.push_back({id, cls, n});
  }
  return pools;
}

// The widest bottleneck bandwidth of any path between two servers (Floyd–Warshall on max-min):
// with the least path latency, a lower bound on the time any route takes to move a payload.
std::vector<double> widest_bandwidth(const Network& net) {
  const std::size_t n = net.size();
  std::vector<double> w(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) w[i * n + i] = std::numeric_limits<double>::infinity();
  for (const Link& l : net.links()) {
    const std::size_t a = index_of(l.a), b = index_of(l.b);
    w[a * n + b] = w[b * n + a] = std::max(w[a * n + b], l.bandwidth.bytes_per_second);
  }
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        w[i * n + j] = std::max(w[i * n + j], std::min(w[i * n + k], w[k * n + j]));
  return w;
}

class FluidModel {
 public:
  FluidModel(const Scenario& s, std::span<const OfferedRate> offered, const Outage& outage)
      : scenario_(s),
        offered_(offered),
        pools_(device_pools_of(s.cluster, outage)),
        widest_(widest_bandwidth(s.cluster.network)) {
    for (const OfferedRate& r : offered) {
      EPARA_EXPECTS(index_of(r.service) < s.services.size(),
                    fmt::format("fluid_bound: service id {} out of range", index_of(r.service)));
      EPARA_EXPECTS(index_of(r.origin) < s.cluster.servers.size(),
                    fmt::format("fluid_bound: origin id {} out of range", index_of(r.origin)));
      EPARA_EXPECTS(r.items_per_s >= 0.0 && r.work > 0.0,
                    "fluid_bound: rates must be >= 0 and work > 0");
    }
    for (const ServerId v : outage.servers)
      EPARA_EXPECTS(index_of(v) < s.cluster.servers.size(),
                    fmt::format("fluid_bound: down server id {} out of range", index_of(v)));
    for (const DeviceRef& d : outage.devices)
      EPARA_EXPECTS(index_of(d.server) < s.cluster.servers.size() &&
                        (d.slot == cpu_slot ||
                         (d.slot >= 0 && static_cast<std::size_t>(d.slot) <
                                             s.cluster.servers[index_of(d.server)].gpus.size())),
                    fmt::format("fluid_bound: down device {} of server id {} does not exist",
                                d.slot, index_of(d.server)));
    for (std::size_t i = 0; i < offered.size(); ++i) {
      if (std::ranges::find(outage.servers, offered[i].origin) != outage.servers.end())
        continue;  // lost at its origin: offered, never served
      for (std::size_t p = 0; p < pools_.size(); ++p)
        if (const double e = rate(offered[i], pools_[p]); e > 0.0) arcs_.push_back({i, p, e});
    }
  }

  // Solves over the offered entries `include` accepts, maximizing goodput with every service
  // served at least `floor` of what it is offered (a feasible floor: at most the max-min one);
  // with `max_min`, it maximizes that common floor instead and reports it as the goodput.
  template <class Include>
  FluidBound solve(Include include, double floor = 0.0, bool max_min = false) const {
    FluidBound out;
    out.per_service.assign(scenario_.services.size(), 0.0);
    detail::LinearProgram lp;
    std::vector<int> demand_row(offered_.size(), 0), pool_row(pools_.size(), 0);
    for (std::size_t i = 0; i < offered_.size(); ++i)
      if (include(offered_[i])) {
        out.offered += offered_[i].items_per_s;
        demand_row[i] = lp.add_row_at_most(offered_[i].items_per_s);
      }
    for (std::size_t p = 0; p < pools_.size(); ++p)
      pool_row[p] = lp.add_row_at_most(pools_[p].count);
    // Per service: Σ its items served >= floor · its offered items, as
    // floor · offered − Σ x <= 0 (floor a column when it is maximized).
    std::vector<double> offered_by(scenario_.services.size(), 0.0);
    for (std::size_t i = 0; i < offered_.size(); ++i)
      if (demand_row[i] != 0) offered_by[index_of(offered_[i].service)] += offered_[i].items_per_s;
    std::vector<int> fair_row(offered_by.size(), 0);
    const int floor_col = max_min ? lp.add_column(1.0, 1.0) : 0;
    for (std::size_t s = 0; s < offered_by.size(); ++s) {
      if (offered_by[s] <= 0.0 || (!max_min && floor <= 0.0)) continue;
      fair_row[s] = lp.add_row_at_most(max_min ? 0.0 : -floor * offered_by[s]);
      if (max_min) lp.set(fair_row[s], floor_col, offered_by[s]);
    }
    std::vector<int> column(arcs_.size(), 0);
    for (std::size_t a = 0; a < arcs_.size(); ++a) {
      const Arc& arc = arcs_[a];
      if (demand_row[arc.offered] == 0) continue;
      column[a] = lp.add_column(max_min ? 0.0 : 1.0);
      lp.set(demand_row[arc.offered], column[a], 1.0);
      lp.set(pool_row[arc.pool], column[a], 1.0 / arc.rate);
      if (const int row = fair_row[index_of(offered_[arc.offered].service)]; row != 0)
        lp.set(row, column[a], -1.0);
    }
    if (lp.columns() == 0) return out;
    lp.solve();
    out.goodput = max_min ? lp.objective() : std::min(lp.objective(), out.offered);
    for (std::size_t a = 0; a < arcs_.size(); ++a) {
      if (column[a] == 0) continue;
      const double x = lp.value(column[a]);
      out.per_service[index_of(offered_[arcs_[a].offered].service)] += x;
      out.devices_busy += x / arcs_[a].rate;
    }
    return out;
  }

 private:
  struct Arc {
    std::size_t offered, pool;
    double rate;  // items per device-second
  };

  // The best in-SLO rate of the pool for the offered entry's items; 0 when none fits.
  double rate(const OfferedRate& r, const DevicePool& pool) const {
    const ServiceSpec& service = scenario_.service(r.service);
    double transfer_ns = 0.0;
    if (r.origin != pool.server) {
      const auto path = scenario_.cluster.network.path(r.origin, pool.server);
      if (!path) return 0.0;
      const std::size_t n = scenario_.cluster.network.size();
      const double widest = widest_[index_of(r.origin) * n + index_of(pool.server)];
      transfer_ns = static_cast<double>(path->latency.count()) +
                    static_cast<double>(service.input_size.count) / widest * 1e9;
    }
    const double budget = static_cast<double>(service.slo.deadline.count()) - transfer_ns;
    if (budget <= 0.0) return 0.0;
    double best = 0.0;
    for (int k = 1; k <= pool.count; ++k)
      if (const RateByBudget* t = timing(r.service, pool.device_class, k, r.work))
        best = std::max(best, t->best_within(budget));
    return best;
  }

  // Timings of k devices of a class (the profile's k-device curve and, for k > 1, a pipeline of
  // k perfectly balanced stages), cached; nullptr when the profile has none or the model does
  // not fit k devices.
  const RateByBudget* timing(ServiceId id, DeviceClassId cls, int k, double work) const {
    const Key key{index_of(id), index_of(cls), k, work};
    if (const auto it = timings_.find(key); it != timings_.end())
      return it->second ? &*it->second : nullptr;
    std::optional<RateByBudget>& slot = timings_[key];
    const ServiceSpec& service = scenario_.service(id);
    if (memory_per_device(service, k) > scenario_.cluster.device_class(cls).memory) return nullptr;
    CostModel ideal;
    ideal.pipeline_balance = 1.0;  // a relaxation: no split of layers is better than even
    RateByBudget rates;
    bool any = false;
    for (TimingSource source : {TimingSource::Profiled, TimingSource::Pipeline}) {
      if (source == TimingSource::Pipeline && k == 1) continue;
      if (const auto t = replica_timing(scenario_, id, cls, k, source, ideal)) {
        rates.add(*t, work);
        any = true;
      }
    }
    if (any) slot = std::move(rates);
    return slot ? &*slot : nullptr;
  }

  using Key = std::tuple<std::size_t, std::size_t, int, double>;
  const Scenario& scenario_;
  std::span<const OfferedRate> offered_;
  std::vector<DevicePool> pools_;
  std::vector<double> widest_;
  std::vector<Arc> arcs_;
  mutable std::map<Key, std::optional<RateByBudget>> timings_;
};

}  // namespace

FluidBound fluid_bound(const Scenario& scenario, std::span<const OfferedRate> offered,
                       const Outage& outage) {
  const FluidModel model(scenario, offered, outage);
  const auto all = [](const OfferedRate&) { return true; };
  FluidBound out = model.solve(all);
  // Max-min fair: the largest attainment all services reach together, then the most goodput
  // with none below it (a hair under, so that rounding in the solver cannot make it infeasible).
  out.fair_attainment = model.solve(all, 0.0, true).goodput;
  out.fair_goodput = model.solve(all, out.fair_attainment * (1 - 1e-9)).goodput;
  out.alone.assign(scenario.services.size(), 0.0);
  for (std::size_t s = 0; s < scenario.services.size(); ++s)
    out.alone[s] =
        model.solve([&](const OfferedRate& r) { return index_of(r.service) == s; }).goodput;
  return out;
}

std::optional<FluidBound> fluid_bound_with_floor(const Scenario& scenario,
                                                 std::span<const OfferedRate> offered, double floor,
                                                 const Outage& outage) {
  EPARA_EXPECTS(floor >= 0.0 && floor <= 1.0, "fluid_bound_with_floor: floor must be in [0, 1]");
  const FluidModel model(scenario, offered, outage);
  const auto all = [](const OfferedRate&) { return true; };
  if (floor > model.solve(all, 0.0, true).goodput) return std::nullopt;
  return model.solve(all, floor * (1 - 1e-9));
}

std::vector<OfferedRate> declared_rates(const Scenario& scenario, double load_scale) {
  std::vector<OfferedRate> out;
  for (const Demand& d : scenario.demand) {
    const Slo& slo = scenario.service(d.service).slo;
    const double items =
        slo.is_latency()
            ? d.rate.per_second * load_scale
            : slo.rate.per_second * static_cast<double>(std::lround(d.streams * load_scale));
    if (items > 0.0) out.push_back({d.service, d.origin, items, 1.0});
  }
  return out;
}

}  // namespace epara::bound
