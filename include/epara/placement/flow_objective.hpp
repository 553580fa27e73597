#pragma once
// The exact placement objective: the most SLO-feasible demand the committed instances can serve,
// a max flow from demand nodes (service, origin) to instance groups (type, server) along edges
// that exist only where the network leaves the SLO feasible. Kept incrementally: a commit adds
// capacity to one group and augments the previous flow into it, never recomputing from scratch.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "epara/placement/ground_set.hpp"
#include "epara/placement/objective.hpp"

namespace epara {

/// Models SubmodularObjective (a flow value as a function of the opened capacities of a
/// bipartite transportation network is a polymatroid rank function). Values are in units
/// (micro-items per second) times each service's weight. Not thread-safe: gain() augments
/// tentatively and rolls back.
class FlowObjective {
 public:
  explicit FlowObjective(const GroundSet& ground)
      : ground_(&ground),
        residual_(ground.demand().size()),
        capacity_(ground.group_count(), 0),
        inflow_(ground.group_count(), 0),
        flows_(ground.group_count()),
        active_(ground.scenario().services.size()) {
    for (std::size_t n = 0; n < residual_.size(); ++n) residual_[n] = ground.demand()[n].demand;
  }

  double gain(std::size_t candidate) const {
    const Candidate& c = ground_->candidates()[candidate];
    const std::int64_t added = ground_->capacity(candidate);
    if (added <= 0 || inflow_[c.group] < capacity_[c.group]) return 0.0;  // no path reaches it
    const ServiceId s = ground_->type_of(candidate).service;
    const auto worth = [&](std::int64_t units) {
      return static_cast<double>(units) * static_cast<double>(ground_->weight(s));
    };
    // Fast path: unserved demand that reaches the group directly covers the new capacity.
    std::int64_t direct = 0;
    for (std::size_t n : ground_->demand_of(s))
      if (residual_[n] > 0 && ground_->reaches(n, c.group)) direct += residual_[n];
    if (direct >= added) return worth(added);
    const std::int64_t more = augment(c.group, added, &undo_);
    rollback();
    return worth(more);
  }

  void commit(std::size_t candidate) {
    const Candidate& c = ground_->candidates()[candidate];
    const std::int64_t added = ground_->capacity(candidate);
    const ServiceId s = ground_->type_of(candidate).service;
    if (capacity_[c.group] == 0 && added > 0) active_[index_of(s)].push_back(c.group);
    const bool saturated = inflow_[c.group] >= capacity_[c.group];
    capacity_[c.group] += added;
    if (saturated) value_ += augment(c.group, added, nullptr) * ground_->weight(s);
  }

  double value() const { return static_cast<double>(value_); }

  /// Flow currently sent from demand node `node` to `group`, in units.
  std::int64_t flow(std::size_t node, std::uint32_t group) const {
    for (const auto& [n, f] : flows_[group])
      if (n == node) return f;
    return 0;
  }
  /// Demand of `node` not served yet, in units.
  std::int64_t unserved(std::size_t node) const { return residual_[node]; }

 private:
  struct Change {
    bool residual;  // true: residual_[node] changed; false: flow (node, group) changed
    std::size_t node;
    std::uint32_t group;
    std::int64_t delta;
  };

  void add_flow(std::size_t node, std::uint32_t group, std::int64_t delta,
                std::vector<Change>* log) const {
    auto& list = flows_[group];
    auto it =
        std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.first == node; });
    if (it == list.end()) {
      list.emplace_back(node, delta);
    } else {
      it->second += delta;
    }
    inflow_[group] += delta;
    if (log) log->push_back({false, node, group, delta});
  }

  void rollback() const {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      if (it->residual) {
        residual_[it->node] -= it->delta;
      } else {
        add_flow(it->node, it->group, -it->delta, nullptr);
      }
    }
    undo_.clear();
  }

  // Augments flow into `target` by up to `limit` along shortest alternating paths: from a demand
  // node with unserved demand, through groups it reaches, back along flow to other demand
  // nodes (which then move to another group), ending at a node that reaches `target`.
  std::int64_t augment(std::uint32_t target, std::int64_t limit, std::vector<Change>* log) const {
    const ServiceId s = ground_->group_type(target).service;
    const auto& nodes = ground_->demand_of(s);
    const auto& groups = active_[index_of(s)];
    std::int64_t total = 0;
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    while (total < limit) {
      // parent_group[n]: the group node n was reached through (none: a start node).
      std::vector<std::size_t> parent_group(nodes.size(), none), parent_node(groups.size(), none);
      std::vector<bool> seen_node(nodes.size(), false), seen_group(groups.size(), false);
      std::deque<std::size_t> queue;  // positions in `nodes`
      for (std::size_t i = 0; i < nodes.size(); ++i)
        if (residual_[nodes[i]] > 0) {
          seen_node[i] = true;
          queue.push_back(i);
        }
      std::size_t end = none;
      while (!queue.empty() && end == none) {
        const std::size_t i = queue.front();
        queue.pop_front();
        if (ground_->reaches(nodes[i], target)) {
          end = i;
          break;
        }
        for (std::size_t j = 0; j < groups.size(); ++j) {
          if (seen_group[j] || groups[j] == target || !ground_->reaches(nodes[i], groups[j]))
            continue;
          seen_group[j] = true;
          parent_node[j] = i;
          for (const auto& [node, f] : flows_[groups[j]]) {
            const std::size_t k = ground_->position_in_service(node);
            if (f <= 0 || seen_node[k]) continue;
            seen_node[k] = true;
            parent_group[k] = j;
            queue.push_back(k);
          }
        }
      }
      if (end == none) break;
      // Bottleneck: the start node's unserved demand, and each flow the path reverses.
      std::int64_t delta = limit - total;
      std::size_t i = end;
      while (parent_group[i] != none) {
        delta = std::min(delta, flow(nodes[i], groups[parent_group[i]]));
        i = parent_node[parent_group[i]];
      }
      delta = std::min(delta, residual_[nodes[i]]);
      // Apply: the end node sends delta to the target; each reversed edge gives delta back.
      add_flow(nodes[end], target, delta, log);
      i = end;
      while (parent_group[i] != none) {
        const std::size_t j = parent_group[i];
        add_flow(nodes[i], groups[j], -delta, log);
        i = parent_node[j];
        add_flow(nodes[i], groups[j], delta, log);
      }
      residual_[nodes[i]] -= delta;
      if (log) log->push_back({true, nodes[i], 0, -delta});
      total += delta;
    }
    return total;
  }

  const GroundSet* ground_;
  mutable std::vector<std::int64_t> residual_;  // per demand node: unserved units
  std::vector<std::int64_t> capacity_;          // per group: committed capacity
  mutable std::vector<std::int64_t> inflow_;    // per group: flow into it
  mutable std::vector<std::vector<std::pair<std::size_t, std::int64_t>>> flows_;  // per group
  std::vector<std::vector<std::uint32_t>> active_;  // per service: groups with capacity
  std::int64_t value_ = 0;
  mutable std::vector<Change> undo_;
};

static_assert(SubmodularObjective<FlowObjective>);

}  // namespace epara
