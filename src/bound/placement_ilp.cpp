#include "epara/bound/placement_ilp.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>

#include "bound/linear_program.hpp"

namespace epara::bound {

PlacementOptimum optimal_placement(const GroundSet& ground, const PlacementIlpOptions& options) {
  EPARA_EXPECTS(std::isfinite(options.time_limit_s) && options.time_limit_s > 0.0,
                "optimal_placement: the time limit must be finite and > 0");
  const Cluster& cluster = ground.scenario().cluster;
  detail::LinearProgram lp;
  std::vector<int> instances(ground.group_count());
  std::vector<int> capacity_row(ground.group_count());
  // Flows and capacities in items per second, not units: with coefficients of 1e8 (a GPU's
  // capacity in units) GLPK's branch and bound reported feasible problems infeasible (on
  // `large`, whose all-zero placement is feasible).
  // Per (server, device class): the devices and the memory the instances take.
  std::map<std::pair<std::size_t, std::size_t>, std::pair<int, int>> device_rows;
  for (std::uint32_t g = 0; g < ground.group_count(); ++g) {
    const InstanceType& t = ground.group_type(g);
    instances[g] = lp.add_integer_column(0.0);
    capacity_row[g] = lp.add_row_at_most(0.0);  // served - capacity × instances <= 0
    lp.set(capacity_row[g], instances[g],
           -static_cast<double>(to_units(t.capacity)) / units_per_item);
    const std::size_t server = index_of(ground.group_server(g));
    const auto key = std::pair(server, index_of(t.device_class));
    auto found = device_rows.find(key);
    if (found == device_rows.end()) {
      const int slots = ground.slots_of(t.device_class, ground.group_server(g));
      const double memory =
          static_cast<double>(cluster.device_class(t.device_class).memory.count) * slots;
      found = device_rows
                  .emplace(key, std::pair(lp.add_row_at_most(slots),
                                          lp.add_row_at_most(memory / 1e9)))  // GB: well scaled
                  .first;
    }
    lp.set(found->second.first, instances[g], t.devices * t.share);
    lp.set(found->second.second, instances[g],
           t.devices * static_cast<double>(t.memory_per_device.count) / 1e9);
  }
  // With serve_every_service, per service: −(its instances where some of its demand reaches)
  // <= −1. (A row on its flow instead would let branch and bound meet it with a fraction of an
  // instance inside the integrality tolerance.)
  const std::size_t services = ground.scenario().services.size();
  std::vector<std::optional<int>> instances_row(services);
  std::vector<bool> reached(ground.group_count(), false);
  std::vector<double> demand(services, 0.0);         // items/s, of the services some group serves
  std::vector<std::vector<int>> flows_of(services);  // flow columns
  for (std::size_t n = 0; n < ground.demand().size(); ++n) {
    const DemandNode& d = ground.demand()[n];
    const int demand_row = lp.add_row_at_most(static_cast<double>(d.demand) / units_per_item);
    bool served_anywhere = false;
    for (std::uint32_t g = 0; g < ground.group_count(); ++g) {
      if (!ground.reaches(n, g)) continue;
      served_anywhere = true;
      const int flow = lp.add_column(static_cast<double>(ground.weight(d.service)));
      flows_of[index_of(d.service)].push_back(flow);
      lp.set(demand_row, flow, 1.0);
      lp.set(capacity_row[g], flow, 1.0);
      if (!options.serve_every_service || reached[g]) continue;
      reached[g] = true;
      std::optional<int>& row = instances_row[index_of(d.service)];
      if (!row) row = lp.add_row_at_most(-1.0);
      lp.set(*row, instances[g], -1.0);
    }
    if (served_anywhere) demand[index_of(d.service)] += static_cast<double>(d.demand);
  }
  PlacementOptimum out;
  if (lp.columns() == 0) {
    out.proven = true;
    return out;
  }
  // max_min: a column for the worst attainment, with a row per served service:
  // attainment × demand − its flows <= 0. The first solve maximizes it alone.
  std::optional<int> worst;
  if (options.max_min) {
    for (int c = 1; c <= lp.columns(); ++c) lp.set_gain(c, 0.0);
    worst = lp.add_column(1.0, 1.0);
    for (std::size_t s = 0; s < services; ++s) {
      if (demand[s] <= 0.0) continue;
      const int row = lp.add_row_at_most(0.0);
      lp.set(row, *worst, demand[s] / units_per_item);
      for (int flow : flows_of[s]) lp.set(row, flow, -1.0);
    }
  }
  using Status = detail::LinearProgram::MipStatus;
  const auto solution = [&] {  // every column's value in the integer solution found
    std::vector<double> x(static_cast<std::size_t>(lp.columns()) + 1);
    for (int c = 1; c <= lp.columns(); ++c) x[static_cast<std::size_t>(c)] = lp.mip_value(c);
    return x;
  };
  Status status = lp.solve_integer(options.time_limit_s);
  out.instances.assign(ground.group_count(), 0);
  if (status == Status::Infeasible) {
    out.feasible = false;
    out.proven = true;
    return out;
  }
  // Bounds that hold whatever the solves find: the relaxation's, or all the weighted demand.
  double everything = 0.0;
  for (const DemandNode& d : ground.demand())
    everything += static_cast<double>(d.demand) * static_cast<double>(ground.weight(d.service));
  out.upper = worst ? everything : lp.relaxation() * units_per_item;
  if (worst) out.worst_upper = lp.relaxation();
  if (status == Status::NoSolution) return out;  // nothing found in time: value 0, no instances
  std::vector<double> x = solution();
  if (worst) {  // then the most weighted demand at that attainment (a hair below: tolerances)
    const bool first_proven = status == Status::Optimal;
    if (first_proven) out.worst_upper = x[static_cast<std::size_t>(*worst)];
    lp.set_lower_bound(*worst, std::max(0.0, x[static_cast<std::size_t>(*worst)] - 1e-6));
    lp.set_gain(*worst, 0.0);
    for (std::size_t s = 0; s < services; ++s)
      for (int flow : flows_of[s])
        lp.set_gain(flow, static_cast<double>(ground.weight(id_at<ServiceId>(s))));
    const Status second = lp.solve_integer(options.time_limit_s);
    // The first solution satisfies the second problem, so GLPK finding none is its failure.
    if (second == Status::Infeasible)
      throw Error("optimal_placement: GLPK found the max-min optimum infeasible when re-solved");
    if (second != Status::NoSolution) {
      x = solution();  // else the first solution stands
      out.upper = lp.relaxation() * units_per_item;
    }
    status = first_proven && second == Status::Optimal ? Status::Optimal : Status::TimeLimit;
  }
  out.proven = status == Status::Optimal;
  for (std::size_t s = 0; s < services; ++s)
    for (int flow : flows_of[s])
      out.value += x[static_cast<std::size_t>(flow)] *
                   static_cast<double>(ground.weight(id_at<ServiceId>(s))) * units_per_item;
  if (out.proven) out.upper = out.value;
  for (std::uint32_t g = 0; g < ground.group_count(); ++g)
    out.instances[g] = static_cast<int>(std::lround(x[static_cast<std::size_t>(instances[g])]));
  out.worst_attainment = 1.0;
  for (std::size_t s = 0; s < services; ++s) {
    if (demand[s] <= 0.0) continue;
    double served = 0.0;
    for (int flow : flows_of[s]) served += x[static_cast<std::size_t>(flow)];
    out.worst_attainment = std::min(out.worst_attainment, served * units_per_item / demand[s]);
  }
  return out;
}

}  // namespace epara::bound
