#pragma once
// The network between servers: links with latency and bandwidth, and the delay of the best
// path between every pair of servers.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <queue>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/ids.hpp"
#include "epara/units.hpp"

namespace epara {

/// An undirected link between two servers.
struct Link {
  ServerId a{};
  ServerId b{};
  Duration latency{};     ///< one-way propagation + switching delay, >= 0
  Bandwidth bandwidth{};  ///< > 0

  friend bool operator==(const Link&, const Link&) = default;
};

/// The best path between two servers: least total latency, ties broken by the widest bottleneck.
struct Path {
  Duration latency{};
  Bandwidth bottleneck = Bandwidth::unlimited();

  /// Time for a payload of `size` to cross the path: latency + serialization at the bottleneck
  /// (the transfer is pipelined across hops, so it is paid once).
  Duration transfer_time(Bytes size) const noexcept {
    return latency + epara::transfer_time(size, bottleneck);
  }
  friend bool operator==(const Path&, const Path&) = default;
};

/// Servers 0..size()-1 joined by links. Paths between all pairs are computed once, on
/// construction (Dijkstra from every server: O(n · E log n) time, O(n²) memory).
/// Thread-safety: immutable after construction; safe to share.
class Network {
 public:
  Network() = default;

  /// Throws InvalidArgument for a link naming a server >= `servers`, a self-link, a negative
  /// latency or a non-positive bandwidth.
  Network(std::size_t servers, std::vector<Link> links) : size_(servers), links_(std::move(links)) {
    for (std::size_t i = 0; i < links_.size(); ++i) validate(i);
    compute_paths();
  }

  std::size_t size() const noexcept { return size_; }
  std::span<const Link> links() const noexcept { return links_; }

  /// The best path from `from` to `to`, or nullopt when no path joins them. A server reaches
  /// itself with zero latency and unlimited bandwidth.
  std::optional<Path> path(ServerId from, ServerId to) const {
    EPARA_EXPECTS(index_of(from) < size_ && index_of(to) < size_,
                  fmt::format("Network::path: server id out of range ({} servers)", size_));
    const Path& p = paths_[index_of(from) * size_ + index_of(to)];
    if (p.latency < Duration::zero()) return std::nullopt;
    return p;
  }

  /// True when every server can reach every other one.
  bool is_connected() const noexcept {
    return std::none_of(paths_.begin(), paths_.end(),
                        [](const Path& p) { return p.latency < Duration::zero(); });
  }

  friend bool operator==(const Network& x, const Network& y) {
    return x.size_ == y.size_ && x.links_ == y.links_;
  }

 private:
  void validate(std::size_t i) const {
    const Link& l = links_[i];
    const auto where = fmt::format("Network: link {}", i);
    EPARA_EXPECTS(index_of(l.a) < size_ && index_of(l.b) < size_,
                  fmt::format("{}: server id out of range ({} servers)", where, size_));
    EPARA_EXPECTS(l.a != l.b, fmt::format("{}: joins server {} to itself", where, index_of(l.a)));
    EPARA_EXPECTS(l.latency >= Duration::zero(), fmt::format("{}: negative latency", where));
    EPARA_EXPECTS(l.bandwidth.bytes_per_second > 0.0,
                  fmt::format("{}: bandwidth must be > 0", where));
  }

  // Lexicographic Dijkstra on (latency ascending, bottleneck descending). Extending a path by a
  // link preserves that order, so the usual greedy settle is exact.
  void compute_paths() {
    std::vector<std::vector<std::size_t>> adjacent(size_);
    for (std::size_t i = 0; i < links_.size(); ++i) {
      adjacent[index_of(links_[i].a)].push_back(i);
      adjacent[index_of(links_[i].b)].push_back(i);
    }
    constexpr Path unreachable{Duration{-1}, Bandwidth{0.0}};
    paths_.assign(size_ * size_, unreachable);
    const auto better = [](const Path& x, const Path& y) {
      if (x.latency != y.latency) return x.latency < y.latency;
      return x.bottleneck.bytes_per_second > y.bottleneck.bytes_per_second;
    };
    using Entry = std::pair<Path, std::size_t>;
    const auto later = [&](const Entry& x, const Entry& y) { return better(y.first, x.first); };
    for (std::size_t source = 0; source < size_; ++source) {
      Path* row = &paths_[source * size_];
      std::vector<bool> settled(size_, false);
      std::priority_queue<Entry, std::vector<Entry>, decltype(later)> frontier(later);
      row[source] = Path{};
      frontier.emplace(row[source], source);
      while (!frontier.empty()) {
        const auto [path, node] = frontier.top();
        frontier.pop();
        if (settled[node]) continue;
        settled[node] = true;
        for (std::size_t li : adjacent[node]) {
          const Link& link = links_[li];
          const std::size_t next = index_of(index_of(link.a) == node ? link.b : link.a);
          const Path candidate{path.latency + link.latency,
                               std::min(path.bottleneck, link.bandwidth)};
          if (!settled[next] &&
              (row[next].latency < Duration::zero() || better(candidate, row[next]))) {
            row[next] = candidate;
            frontier.emplace(candidate, next);
          }
        }
      }
    }
  }

  std::size_t size_ = 0;
  std::vector<Link> links_;
  std::vector<Path> paths_;  // size_ × size_, row = source; latency < 0 marks "unreachable"
};

}  // namespace epara
