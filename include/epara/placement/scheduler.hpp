#pragma once
// The state-aware scheduler: which instances to load where this period, given what is loaded.
// Keeping a loaded instance is free; a new load costs its load time, against a per-period
// budget or as a penalty. The result lists loads and unloads, per-service outcomes and
// per-device usage.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "epara/placement/any_objective.hpp"
#include "epara/placement/device_constraints.hpp"
#include "epara/placement/flow_objective.hpp"
#include "epara/placement/greedy.hpp"
#include "epara/placement/local_search.hpp"
#include "epara/placement/objective_tiers.hpp"
#include "epara/placement/surrogate_objective.hpp"
#include "epara/placement/weighting.hpp"

namespace epara {

enum class ObjectiveKind { Flow, Surrogate };

constexpr std::string_view to_string(ObjectiveKind k) noexcept {
  return k == ObjectiveKind::Flow ? "flow" : "surrogate";
}

struct SchedulerOptions {
  GreedyVariant variant = GreedyVariant::Lazy;
  ObjectiveKind objective = ObjectiveKind::Flow;
  /// When set, the objective placement maximizes instead of `objective`: made for each ground
  /// set the search evaluates (each tier's, as with the built-in ones). Spare replicas still
  /// follow served demand, and the placement is reported as served demand (FlowObjective),
  /// whatever objective chose it.
  ObjectiveFactory custom_objective{};
  Weighting weighting = Weighting::Items;
  /// Every service with demand first gets one instance where one fits and reaches some of its
  /// demand; the objective then places the rest, and local search keeps one of each. Of the
  /// rounds this takes (one more per service left out), the one reaching the most services, then
  /// the objective's highest value on the planned demand, is kept. Without it the
  /// items objective leaves at zero a service that serves few items per device (a 70B LLM
  /// beside video streams) — optimal for the sum, a failure for that service's users.
  bool serve_every_service = true;
  /// Devices the objective leaves idle host spare replicas (of whole-device types) of the
  /// services it places, the one with the most of its placed capacity in use first: a replica
  /// serves none of the planned demand, but demand is not the plan — bursts and moving origins find
  /// capacity waiting rather than a load. Kept spares cost nothing; new ones take load time from
  /// the budget. Not with a load penalty (a spare gains nothing to pay it with).
  bool spare_replicas = true;
  /// Plans are sized for the demand times this (>= 1; streams rounded up): capacity against
  /// bursts. The extra is a tier of the objective of its own, placed only after the demand
  /// itself, so one service's headroom never displaces another service's demand. 1: none.
  double headroom = 1.0;
  /// A floor on every service's attainment (0 to 1): the objective first serves each service
  /// up to this share of its demand at every origin, valuing each service's whole demand alike
  /// (the most summed attainment up to the floor), and only then items. 0: no floor.
  double attainment_floor = 0.0;
  /// The scheduler chooses the floor itself, in place of attainment_floor: it places at the
  /// floors 0, ¼, ½, ¾ and 1 and keeps the placement whose worst service is planned highest
  /// among those that serve at least (1 − attainment_floor_cost) of the items the placement
  /// without a floor serves. A floor that lifts the worst service for free is taken; one that
  /// costs the other services more than that share is not. Five placements instead of one.
  bool choose_attainment_floor = false;
  /// The share of planned items a chosen floor may give up (0 to 1). The default, 1%, is from
  /// a sweep on `large` x4 (docs/results.md, "Make before break, and a floor the scheduler
  /// chooses"): at 2% the simulated goodput fell 3.4%, at 0.5% the worst service gained 15
  /// points instead of 44.
  double attainment_floor_cost = 0.01;
  /// Σ load time of new loads this period may not exceed this (cost-benefit greedy with the
  /// best-singleton fix); Duration::max(): no budget.
  Duration load_budget = Duration::max();
  /// Items per second of served demand given up per second of load time (net-gain greedy);
  /// 0: loads are free. Use a budget or a penalty, not both.
  double load_penalty = 0.0;
  /// How instance types are made: the network reserve of each deadline, and the load time of a
  /// service that does not state one (model memory at load_bandwidth + load_overhead; by
  /// default an NVMe-to-GPU copy at 2 GB/s and 1 s to start the runtime).
  InstanceTypeOptions types{};
  /// Devices that must not be used — failed, or on a failed server, as failure detection
  /// reports them: no instance is placed or kept there.
  std::vector<DeviceRef> unavailable{};
  double stochastic_epsilon = 0.1;
  std::uint64_t seed = 1;
  /// Improving moves of local search after greedy (remove one instance, refill greedily); 0
  /// turns it off. It runs only while candidates × chosen instances <= local_search_limit, as
  /// each move re-runs a greedy refill; where no single removal helps, it removes pairs while
  /// candidates × chosen² <= local_search_limit (and local_search_pairs).
  int local_search_moves = 64;
  double local_search_limit = 2e6;
  bool local_search_pairs = true;
};

/// Whether local search removes pairs after greedy chose `chosen` of `candidates`: pairs cost
/// `chosen` times the single removals' refills (SchedulerOptions::local_search_limit).
inline bool local_search_pairs_fit(const SchedulerOptions& options, std::size_t candidates,
                                   std::size_t chosen) {
  const double k = static_cast<double>(chosen);
  return options.local_search_pairs &&
         static_cast<double>(candidates) * k * k <= options.local_search_limit;
}

/// One instance of the placement.
struct PlacedInstance {
  ServiceId service{};
  ServerId server{};
  std::vector<DeviceSlot> devices{};
  std::uint32_t type = 0;  ///< index into Placement::types
  bool kept = false;       ///< was loaded before: no load needed
  bool spare = false;  ///< on a device the objective left idle (SchedulerOptions::spare_replicas)
};

enum class ServiceStatus {
  Served,       ///< all its demand is served within the SLO
  Partial,      ///< some of its demand is served
  Unserved,     ///< none is: devices went to instances serving more, or it is out of reach
  Unplaceable,  ///< no instance of it fits any server (memory, deadline, profile, devices)
  NoDemand,     ///< nothing to serve
};

constexpr std::string_view to_string(ServiceStatus s) noexcept {
  switch (s) {
    case ServiceStatus::Served:
      return "served";
    case ServiceStatus::Partial:
      return "partial";
    case ServiceStatus::Unserved:
      return "unserved";
    case ServiceStatus::Unplaceable:
      return "unplaceable";
    case ServiceStatus::NoDemand:
      return "no-demand";
  }
  return "?";
}

struct ServiceOutcome {
  ServiceId service{};
  ServiceStatus status = ServiceStatus::NoDemand;
  double demand = 0.0;  ///< items per second offered
  double served = 0.0;  ///< items per second served within the SLO
  std::string reason{};
};

struct Placement {
  GreedyTermination termination = GreedyTermination::Converged;
  bool singleton = false;      ///< the best-singleton fix won over the greedy set
  int local_search_moves = 0;  ///< improving moves local search made after greedy
  double greedy_value = 0.0;   ///< the guiding objective's value of the greedy set alone
  /// The weighted served demand of the whole placement, in units (FlowObjective's value): what
  /// bound::optimal_placement bounds.
  double weighted_value = 0.0;
  std::vector<InstanceType> types{};
  std::vector<PlacedInstance> instances{};
  std::vector<std::size_t> loads{};       ///< indices into instances: new loads
  std::vector<LoadedInstance> unloads{};  ///< loaded instances not kept
  double served = 0.0;  ///< items per second served within the SLO (exact flow value)
  double demand = 0.0;  ///< items per second offered
  std::int64_t evaluations = 0;
  std::size_t candidates = 0;
  Duration load_time{};  ///< Σ load time of the new loads
  std::vector<ServiceOutcome> services{};
  std::vector<DeviceUsage> devices{};
  /// The floor it was placed under: SchedulerOptions::attainment_floor, or the chosen one.
  double attainment_floor = 0.0;
};

/// The service a placement serves the least share of its demand, among those with demand that
/// some instance could serve (no floor helps an unplaceable one); nullopt when there is none.
inline std::optional<ServiceOutcome> worst_service(const Placement& p) {
  std::optional<ServiceOutcome> worst;
  for (const ServiceOutcome& o : p.services) {
    if (o.demand <= 0.0 || o.status == ServiceStatus::Unplaceable) continue;
    if (!worst || o.served / o.demand < worst->served / worst->demand) worst = o;
  }
  return worst;
}

namespace detail {

inline std::vector<ServiceOutcome> service_outcomes(const GroundSet& ground,
                                                    const FlowObjective& flow) {
  const Scenario& s = ground.scenario();
  std::vector<ServiceOutcome> out(s.services.size());
  std::vector<double> unreachable(out.size(), 0.0);
  std::vector<std::vector<std::uint32_t>> groups(out.size());
  for (std::uint32_t g = 0; g < ground.group_count(); ++g)
    groups[index_of(ground.group_type(g).service)].push_back(g);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].service = id_at<ServiceId>(i);
  for (std::size_t n = 0; n < ground.demand().size(); ++n) {
    const DemandNode& d = ground.demand()[n];
    ServiceOutcome& o = out[index_of(d.service)];
    const double items = static_cast<double>(d.demand) / units_per_item;
    o.demand += items;
    o.served += static_cast<double>(d.demand - flow.unserved(n)) / units_per_item;
    const auto& gs = groups[index_of(d.service)];
    if (std::none_of(gs.begin(), gs.end(), [&](std::uint32_t g) { return ground.reaches(n, g); }))
      unreachable[index_of(d.service)] += items;
  }
  for (const TypeGap& gap : ground.gaps()) out[index_of(gap.service)].reason = gap.reason;
  for (std::size_t i = 0; i < out.size(); ++i) {
    ServiceOutcome& o = out[i];
    const double unserved = o.demand - o.served;
    if (o.demand <= 0.0) {
      o.status = ServiceStatus::NoDemand;
    } else if (unserved < 1e-3) {  // units round down by less than one per demand node
      o.status = ServiceStatus::Served;
    } else if (groups[i].empty()) {
      o.status = ServiceStatus::Unplaceable;
      if (o.reason.empty()) o.reason = "no server has enough devices of a class it can run on";
    } else {
      o.status = o.served > 0.0 ? ServiceStatus::Partial : ServiceStatus::Unserved;
      o.reason = fmt::format("{:.3g}/s unserved", unserved);
      if (unreachable[i] > 0.0)
        o.reason += fmt::format(
            ", of which {:.3g}/s is out of SLO reach of every server it "
            "could run on",
            unreachable[i]);
      if (unserved - unreachable[i] >= 1e-3)
        o.reason += ": the devices it could use serve more demand with other instances";
    }
  }
  return out;
}

// Items: 1 each. DemandShare: inversely to each service's items per second, the busiest
// service at 1 (integers, so that gains stay exact).
inline std::vector<std::int64_t> service_weights(const Scenario& s, const std::vector<Load>& loads,
                                                 Weighting weighting) {
  std::vector<std::int64_t> w(s.services.size(), 1);
  if (weighting == Weighting::Items) return w;
  std::vector<double> items(w.size(), 0.0);
  double busiest = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const Slo& slo = s.services[i].slo;
    items[i] = slo.is_latency() ? loads[i].rate.per_second : slo.rate.per_second * loads[i].streams;
    busiest = std::max(busiest, items[i]);
  }
  for (std::size_t i = 0; i < w.size(); ++i)
    if (items[i] > 0.0) w[i] = std::max<std::int64_t>(1, std::llround(busiest / items[i]));
  return w;
}

struct SearchOutcome {
  GreedyResult greedy;
  std::vector<std::size_t> chosen;  ///< the objective's set, then `spares` spare replicas
  int moves = 0;
  std::size_t spares = 0;
};

// Appends spare replicas to `chosen` while idle devices fit one: loaded instances first (free),
// then a new replica of the service whose placed capacity is most in use (served / capacity),
// on a server that some of its demand reaches within the SLO. Only services `chosen` places,
// only types that take whole devices (a share would land beside the instances whose compute it
// is meant to add to), and none slower than the service's slowest placed instance: requests go
// to a local instance first, and a slow spare at their origin would take them from the fast
// instances the plan made for them (on `large`, Raspberry Pi spares of image-classify cost it
// 10% of its requests).
inline std::size_t add_spare_replicas(const GroundSet& ground, const SchedulerOptions& options,
                                      std::vector<std::size_t>& chosen) {
  DeviceConstraints constraints(ground, options.unavailable);
  FlowObjective flow(ground);
  double budget = options.load_budget == Duration::max() ? std::numeric_limits<double>::infinity()
                                                         : to_seconds(options.load_budget);
  const std::size_t services = ground.scenario().services.size();
  std::vector<double> capacity(services, 0.0), served(services, 0.0);
  std::vector<double> slowest(services, std::numeric_limits<double>::infinity());
  for (std::size_t c : chosen) {
    constraints.commit(c);
    flow.commit(c);
    budget -= constraints.cost(c);
    const std::size_t service = index_of(ground.type_of(c).service);
    capacity[service] += static_cast<double>(ground.capacity(c));
    slowest[service] = std::min(slowest[service], static_cast<double>(ground.capacity(c)));
  }
  std::vector<bool> reached(ground.group_count(), false);
  for (std::size_t n = 0; n < ground.demand().size(); ++n) {
    const DemandNode& d = ground.demand()[n];
    served[index_of(d.service)] += static_cast<double>(d.demand - flow.unserved(n));
    for (std::uint32_t g = 0; g < ground.group_count(); ++g)
      if (ground.reaches(n, g)) reached[g] = true;
  }
  const std::size_t before = chosen.size();
  while (true) {
    std::optional<std::size_t> best;
    double best_use = 0.0;
    bool best_kept = false;
    for (std::size_t c = 0; c < ground.size(); ++c) {
      const std::size_t service = index_of(ground.type_of(c).service);
      if (capacity[service] <= 0.0 || ground.type_of(c).share < 1.0 ||
          static_cast<double>(ground.capacity(c)) < slowest[service] ||
          !reached[ground.candidates()[c].group] || constraints.cost(c) > budget + 1e-9 ||
          !constraints.feasible(c))
        continue;
      const bool kept = ground.candidates()[c].keeps >= 0;
      const double use = served[service] / capacity[service];
      if (!best || (kept && !best_kept) || (kept == best_kept && use > best_use))
        best = c, best_use = use, best_kept = kept;
    }
    if (!best) break;
    constraints.commit(*best);
    budget -= constraints.cost(*best);
    capacity[index_of(ground.type_of(*best).service)] +=
        static_cast<double>(ground.capacity(*best));
    chosen.push_back(*best);
  }
  return chosen.size() - before;
}

// The two best offers of distinct services (gain per device, here).
struct Rivals {
  double best = 0.0, second = 0.0;
  std::size_t best_service = std::numeric_limits<std::size_t>::max();
  void offer(std::size_t service, double value) {
    if (service == best_service) {
      best = std::max(best, value);
    } else if (value > best) {
      second = best;
      best = value;
      best_service = service;
    } else {
      second = std::max(second, value);
    }
  }
  double best_besides(std::size_t service) const { return service == best_service ? second : best; }
};

// Commits one instance for every `wanted` service, where one fits, adds value and fits what
// is left of the budget. Services whose smallest instance needs the most devices go first, so
// that lighter ones do not take a device on every server a multi-device replica could use
// (first-fit decreasing); among services of one size, the one with the fewest candidates left
// that fit and add value (most constrained first), then by its best candidate's rank, so the
// weighting decides among equals. A first instance is a foothold, so each goes where it costs
// the rest least: the candidate of the best gain net of what it displaces — its devices (×
// share) at the best gain per device that another service's candidate has on that server's
// class now. Returns them in commit order.
template <class Objective>
std::vector<std::size_t> first_instances(const GroundSet& ground, const std::vector<bool>& wanted,
                                         Objective& objective, DeviceConstraints& constraints,
                                         GreedyOptions& g, std::int64_t& evaluations) {
  const std::size_t services = ground.scenario().services.size();
  // Devices of each service's smallest instance (a share of one device counts as one: what
  // fragments servers is how many devices an instance needs on one server).
  std::vector<int> smallest(services, std::numeric_limits<int>::max());
  for (std::size_t c = 0; c < ground.size(); ++c) {
    const InstanceType& t = ground.type_of(c);
    int& least = smallest[index_of(t.service)];
    least = std::min(least, t.devices);
  }
  std::vector<int> sizes;
  for (std::size_t i = 0; i < services; ++i) {
    if (!wanted[i])
      smallest[i] = 0;  // no first instance
    else if (smallest[i] != std::numeric_limits<int>::max())
      sizes.push_back(smallest[i]);
  }
  std::sort(sizes.begin(), sizes.end(), std::greater<>());  // sizes are >= 1: 0 matches none
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::vector<bool> done(services, false);
  std::vector<std::size_t> first;
  struct Places {
    int count = 0;         // candidates that fit now and add value
    std::size_t best = 0;  // the one of the best net gain
    double net = 0.0;
    GreedyKey key;  // the best rank among them
  };
  const auto commit = [&](std::size_t service, std::size_t c) {
    done[service] = true;
    objective.commit(c);
    constraints.commit(c);
    g.budget -= constraints.cost(c);
    first.push_back(c);
  };
  // A service with an instance loaded keeps it as its first: a new load of another service
  // must not take the devices of what is loaded and still serves.
  for (std::size_t c = 0; c < ground.size(); ++c) {
    const std::size_t service = index_of(ground.type_of(c).service);
    if (ground.candidates()[c].keeps < 0 || done[service] || smallest[service] == 0 ||
        !constraints.feasible(c))
      continue;
    ++evaluations;
    const double gain = objective.gain(c);
    if (adds_value(greedy_key(g, gain, constraints.cost(c)), gain)) commit(service, c);
  }
  const std::size_t classes = ground.scenario().cluster.device_classes.size();
  const auto device_share = [&](std::size_t c) {
    const InstanceType& t = ground.type_of(c);
    return t.devices * t.share;
  };
  for (int size : sizes) {
    while (true) {
      // Per (server, class): the two best gains per device of candidates of distinct services,
      // so that each service's displacement leaves out its own candidates.
      std::vector<Rivals> rivals(ground.scenario().cluster.servers.size() * classes);
      const auto rivals_of = [&](std::size_t c) -> Rivals& {
        return rivals[index_of(ground.candidates()[c].server) * classes +
                      index_of(ground.type_of(c).device_class)];
      };
      std::vector<double> gains(ground.size(), 0.0);
      std::vector<bool> fits(ground.size(), false);
      for (std::size_t c = 0; c < ground.size(); ++c) {
        fits[c] = constraints.feasible(c);
        if (!fits[c]) continue;
        ++evaluations;
        gains[c] = objective.gain(c);
        rivals_of(c).offer(index_of(ground.type_of(c).service), gains[c] / device_share(c));
      }
      std::vector<Places> of(services);
      for (std::size_t c = 0; c < ground.size(); ++c) {
        const std::size_t service = index_of(ground.type_of(c).service);
        if (done[service] || smallest[service] != size || !fits[c] ||
            constraints.cost(c) > g.budget + 1e-9)
          continue;
        const GreedyKey key = greedy_key(g, gains[c], constraints.cost(c));
        if (!adds_value(key, gains[c])) continue;
        const double net = gains[c] - device_share(c) * rivals_of(c).best_besides(service);
        Places& o = of[service];
        if (o.count++ == 0 || o.key < key) o.key = key;
        if (o.count == 1 || o.net < net) o.best = c, o.net = net;
      }
      // The service with the fewest places left goes next (it loses most by waiting), then the
      // one the weighting values most.
      std::optional<std::size_t> next;
      for (std::size_t i = 0; i < services; ++i)
        if (of[i].count > 0 && (!next || of[i].count < of[*next].count ||
                                (of[i].count == of[*next].count && of[*next].key < of[i].key)))
          next = i;
      if (!next) break;  // the rest of this size fit nowhere, or would add nothing
      commit(*next, of[*next].best);
    }
  }
  return first;
}

// The search with the objective `make(ground set)` makes for each tier and re-evaluation.
template <class Make>
SearchOutcome run_search(const ObjectiveTiers& tiers, const SchedulerOptions& options,
                         Make&& make_objective) {
  using Objective = decltype(make_objective(std::declval<const GroundSet&>()));
  const GroundSet& ground = tiers.whole();
  GreedyOptions g;
  g.variant = options.variant;
  if (options.load_budget != Duration::max()) g.budget = to_seconds(options.load_budget);
  g.penalty = options.load_penalty * units_per_item;
  g.epsilon = options.stochastic_epsilon;
  g.seed = options.seed;
  g.expected_picks = std::max<std::size_t>(1, DeviceConstraints(ground).devices().size());
  // Every service first: the objective places alone (greedy, then local search); a service it
  // leaves without an instance is wanted, and the search runs again with the wanted services'
  // first instances committed before the objective places the rest — until no new service is
  // left out. The best round is kept, not the last: where the devices are too few for every
  // service, each round leaves out another one.
  const std::size_t services = ground.scenario().services.size();
  std::vector<bool> wanted(services, false), has_candidates(services, false);
  for (std::size_t c = 0; c < ground.size(); ++c)
    has_candidates[index_of(ground.type_of(c).service)] = true;
  const auto services_in = [&](const std::vector<std::size_t>& set) {  // which have an instance
    std::vector<bool> placed(services, false);
    for (std::size_t c : set) placed[index_of(ground.type_of(c).service)] = true;
    return placed;
  };
  const auto make = [&] {
    return std::pair<Objective, DeviceConstraints>(make_objective(ground),
                                                   DeviceConstraints(ground, options.unavailable));
  };
  SearchOutcome out;
  std::int64_t evaluations = 0;
  // The rounds' best: the most services with an instance, then the most value of the objective
  // on the planned demand (served items, or their weights, with the built-in ones).
  std::optional<SearchOutcome> best;
  std::pair<std::size_t, double> best_key{};
  const auto keep_if_best = [&](const std::vector<bool>& placed) {
    const std::pair<std::size_t, double> key{
        static_cast<std::size_t>(std::count(placed.begin(), placed.end(), true)),
        tier_value_of(make_objective, tiers.demand(), out.chosen)};
    if (!best || key > best_key) best = out, best_key = key;
  };
  while (true) {
    DeviceConstraints constraints(ground, options.unavailable);
    GreedyOptions extend = g;  // what is left of the budget after the first instances
    // Tier t's objective, ties broken by tier t + 1's (TieBroken), then `use(objective)`.
    const auto with_tier = [&](std::size_t t, auto&& use) {
      if (t + 1 < tiers.sets.size()) {
        TieBroken<Objective> objective(make_objective(tiers.sets[t]),
                                       make_objective(tiers.sets[t + 1]), tiers.sets[t + 1]);
        for (std::size_t c : out.chosen) objective.commit(c);
        return use(objective);
      }
      Objective objective = make_objective(tiers.sets[t]);
      for (std::size_t c : out.chosen) objective.commit(c);
      return use(objective);
    };
    out.chosen.clear();
    const std::vector<std::size_t> first = with_tier(0, [&](auto& objective) {
      return first_instances(tiers.sets.front(), wanted, objective, constraints, extend,
                             evaluations);
    });
    out.chosen = first;
    for (std::size_t t = 0; t < tiers.sets.size(); ++t) {
      if (!out.chosen.empty()) extend.best_singleton = false;  // extending a set
      out.greedy = with_tier(t, [&](auto& objective) {
        return greedy(objective, constraints, ground.size(), extend);
      });
      evaluations += out.greedy.evaluations;
      extend.budget -= out.greedy.cost;
      if (out.greedy.singleton) {  // the constraints hold the greedy run, not the singleton
        constraints = DeviceConstraints(ground, options.unavailable);
        for (std::size_t c : out.chosen) constraints.commit(c);
        for (std::size_t c : out.greedy.chosen) constraints.commit(c);
      }
      out.chosen.insert(out.chosen.end(), out.greedy.chosen.begin(), out.greedy.chosen.end());
    }
    out.moves = 0;
    const double work = static_cast<double>(ground.size()) * static_cast<double>(out.chosen.size());
    if (options.local_search_moves > 0 && work <= options.local_search_limit) {
      // A move may replace a first instance, not leave its service without one, nor serve
      // less of an earlier tier.
      std::vector<double> earlier;
      for (std::size_t t = 0; t + 1 < tiers.sets.size(); ++t)
        earlier.push_back(tier_value_of(make_objective, tiers.sets[t], out.chosen));
      const auto acceptable = [&](const std::vector<std::size_t>& set) {
        const std::vector<bool> placed = services_in(set);
        for (std::size_t c : first)
          if (!placed[index_of(ground.type_of(c).service)]) return false;
        for (std::size_t t = 0; t < earlier.size(); ++t)
          if (tier_value_of(make_objective, tiers.sets[t], set) < earlier[t]) return false;
        return true;
      };
      LocalSearchResult improved =
          local_search(make, ground.size(), out.chosen, g, options.local_search_moves, acceptable,
                       local_search_pairs_fit(options, ground.size(), out.chosen.size()));
      evaluations += improved.evaluations;
      out.chosen = std::move(improved.chosen);
      out.moves = improved.moves;
    }
    if (!options.serve_every_service) break;
    const std::vector<bool> placed = services_in(out.chosen);
    keep_if_best(placed);
    bool more = false;
    for (std::size_t i = 0; i < services; ++i)
      if (!placed[i] && !wanted[i] && has_candidates[i] &&
          !ground.demand_of(id_at<ServiceId>(i)).empty())
        wanted[i] = more = true;
    if (!more) break;
  }
  if (best) out = *std::move(best);
  if (options.spare_replicas && options.load_penalty == 0.0)
    out.spares = add_spare_replicas(ground, options, out.chosen);
  out.greedy.evaluations = evaluations;
  return out;
}

template <class Objective>
SearchOutcome run_search(const ObjectiveTiers& tiers, const SchedulerOptions& options) {
  return run_search(tiers, options, [](const GroundSet& g) { return Objective(g); });
}

}  // namespace detail

/// The ground set schedule() reports on: instance types from `allocator` (one per service with
/// demand and device class, sized for the demand times the headroom), their candidates on the
/// servers, the demand and the weighting's service weights — for a bound or another search on
/// the same problem (bound::optimal_placement). Throws InvalidArgument for ids out of range, a
/// headroom below 1 or a floor outside [0, 1].
template <class AllocatorType = Allocator<>>
GroundSet placement_ground_set(const Scenario& scenario, const std::vector<Demand>& demand,
                               const std::vector<LoadedInstance>& loaded,
                               const SchedulerOptions& options = {},
                               const AllocatorType& allocator = {}) {
  for (const Demand& d : demand)
    EPARA_EXPECTS(index_of(d.service) < scenario.services.size() &&
                      index_of(d.origin) < scenario.cluster.servers.size(),
                  "schedule: a demand names an unknown service or server");
  for (const LoadedInstance& li : loaded)
    EPARA_EXPECTS(index_of(li.service) < scenario.services.size() &&
                      index_of(li.server) < scenario.cluster.servers.size(),
                  "schedule: a loaded instance names an unknown service or server");
  EPARA_EXPECTS(std::isfinite(options.headroom) && options.headroom >= 1.0,
                "schedule: the headroom must be finite and >= 1");
  EPARA_EXPECTS(options.attainment_floor >= 0.0 && options.attainment_floor <= 1.0,
                "schedule: the attainment floor must be in [0, 1]");
  const auto loads = total_load(with_headroom(demand, options.headroom), scenario.services.size());
  return GroundSet(scenario, make_instance_types(allocator, scenario, loads, options.types), demand,
                   loaded, detail::service_weights(scenario, loads, options.weighting));
}

namespace detail {

// One placement under options.attainment_floor (the floor is not chosen here).
template <class AllocatorType>
Placement schedule_at_floor(const Scenario& scenario, const std::vector<Demand>& demand,
                            const std::vector<LoadedInstance>& loaded,
                            const SchedulerOptions& options, const AllocatorType& allocator) {
  const ObjectiveTiers tiers = objective_tiers(
      placement_ground_set(scenario, demand, loaded, options, allocator), demand,
      options.attainment_floor,
      detail::service_weights(scenario, total_load(demand, scenario.services.size()),
                              Weighting::DemandShare),
      options.headroom);
  const GroundSet& ground = tiers.demand();
  const detail::SearchOutcome search =
      options.custom_objective ? detail::run_search(tiers, options, options.custom_objective)
      : options.objective == ObjectiveKind::Flow
          ? detail::run_search<FlowObjective>(tiers, options)
          : detail::run_search<SurrogateObjective>(tiers, options);
  const GreedyResult& g = search.greedy;

  // Replay the chosen candidates: their devices, and the exact served demand.
  Placement out;
  out.termination = g.termination;
  out.singleton = g.singleton;
  out.local_search_moves = search.moves;
  out.greedy_value = g.value;
  out.evaluations = g.evaluations;
  out.candidates = ground.size();
  out.types = ground.types();
  FlowObjective flow(ground);
  DeviceConstraints devices(ground, options.unavailable);
  std::vector<bool> kept(loaded.size(), false);
  const std::size_t first_spare = search.chosen.size() - search.spares;
  for (std::size_t i = 0; i < search.chosen.size(); ++i) {
    const std::size_t c = search.chosen[i];
    const Candidate& cand = ground.candidates()[c];
    flow.commit(c);
    PlacedInstance p{ground.type_of(c).service, cand.server,     devices.commit(c), cand.type,
                     cand.keeps >= 0,           i >= first_spare};
    if (p.kept) {
      kept[static_cast<std::size_t>(cand.keeps)] = true;
    } else {
      out.loads.push_back(out.instances.size());
      out.load_time += ground.type_of(c).load_time;
    }
    out.instances.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < loaded.size(); ++i)
    if (!kept[i]) out.unloads.push_back(loaded[i]);
  for (std::size_t n = 0; n < ground.demand().size(); ++n) {
    const DemandNode& d = ground.demand()[n];
    out.demand += static_cast<double>(d.demand) / units_per_item;
    out.served += static_cast<double>(d.demand - flow.unserved(n)) / units_per_item;
  }
  out.weighted_value = flow.value();
  out.services = detail::service_outcomes(ground, flow);
  out.devices = devices.devices();
  out.attainment_floor = options.attainment_floor;
  return out;
}

}  // namespace detail

/// Places instances for `demand` on the scenario's cluster, starting from `loaded`. Instance
/// types come from `allocator` (one per service with demand and device class). Throws
/// InvalidArgument for inconsistent input (ids out of range, a budget and a penalty together,
/// a negative budget or penalty, a floor or floor cost outside [0, 1]); infeasibility of any
/// kind is reported in the outcomes.
template <class AllocatorType = Allocator<>>
Placement schedule(const Scenario& scenario, const std::vector<Demand>& demand,
                   const std::vector<LoadedInstance>& loaded, const SchedulerOptions& options = {},
                   const AllocatorType& allocator = {}) {
  EPARA_EXPECTS(options.load_budget >= Duration::zero(), "schedule: negative load budget");
  EPARA_EXPECTS(std::isfinite(options.load_penalty) && options.load_penalty >= 0.0,
                "schedule: the load penalty must be finite and >= 0");
  EPARA_EXPECTS(options.load_penalty == 0.0 || options.load_budget == Duration::max(),
                "schedule: give a load budget or a load penalty, not both");
  EPARA_EXPECTS(options.attainment_floor_cost >= 0.0 && options.attainment_floor_cost <= 1.0,
                "schedule: the attainment floor's cost must be in [0, 1]");
  if (!options.choose_attainment_floor)
    return detail::schedule_at_floor(scenario, demand, loaded, options, allocator);
  SchedulerOptions at = options;
  at.attainment_floor = 0.0;
  Placement best = detail::schedule_at_floor(scenario, demand, loaded, at, allocator);
  const double items = best.served;
  auto worst_share = [](const Placement& p) {
    const auto w = worst_service(p);
    return w ? w->served / w->demand : 1.0;
  };
  double best_worst = worst_share(best);
  for (const double floor : {0.25, 0.5, 0.75, 1.0}) {
    if (best_worst >= 1.0) break;  // every service is served whole: no floor can add to it
    at.attainment_floor = floor;
    Placement p = detail::schedule_at_floor(scenario, demand, loaded, at, allocator);
    const double worst = worst_share(p);
    if (p.served >= (1.0 - options.attainment_floor_cost) * items && worst > best_worst) {
      best = std::move(p);
      best_worst = worst;
    }
  }
  return best;
}

}  // namespace epara
