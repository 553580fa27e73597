#include <algorithm>
#include <catch2/catch.hpp>
#include <iterator>
#include <numeric>
#include <random>
#include <tuple>

#include "epara/placement/placement_diff.hpp"

using namespace epara;

namespace {
LoadedInstance at(int service, int server, std::vector<DeviceSlot> devices) {
  return {ServiceId{static_cast<std::uint32_t>(service)},
          ServerId{static_cast<std::uint32_t>(server)}, std::move(devices)};
}

PlacementDiff diff(const std::vector<LoadedInstance>& loaded,
                   const std::vector<LoadedInstance>& wanted) {
  return placement_diff<LoadedInstance, LoadedInstance>(loaded, wanted);
}

using Indices = std::vector<std::size_t>;
}  // namespace

TEST_CASE("a placement diff keeps what stays, unloads what goes, loads what is new") {
  const std::vector loaded{at(0, 0, {0}), at(1, 0, {1}), at(2, 1, {0, 1})};
  const std::vector wanted{at(2, 1, {0, 1}), at(0, 0, {0}), at(3, 1, {2})};
  const PlacementDiff d = diff(loaded, wanted);
  CHECK(d.keep == Indices{2, 0});  // in the order of `wanted`
  CHECK(d.kept_as == Indices{0, 1});
  CHECK(d.unload == Indices{1});
  CHECK(d.load == Indices{2});
}

TEST_CASE("a replica moved to other devices, or other stages, is unloaded and loaded") {
  const std::vector loaded{at(0, 0, {0}), at(1, 0, {0, 1}), at(2, 0, {2})};
  // service 0 to GPU 1; service 1's stages swapped; service 2 to server 1's GPU 2
  const std::vector wanted{at(0, 0, {1}), at(1, 0, {1, 0}), at(2, 1, {2})};
  const PlacementDiff d = diff(loaded, wanted);
  CHECK(d.keep.empty());
  CHECK(d.unload == Indices{0, 1, 2});
  CHECK(d.load == Indices{0, 1, 2});
}

TEST_CASE("replicas alike are matched one to one") {
  const std::vector loaded{at(0, 0, {cpu_slot}), at(0, 0, {cpu_slot})};
  SECTION("three wanted: two kept, one loaded") {
    const PlacementDiff d =
        diff(loaded, {at(0, 0, {cpu_slot}), at(0, 0, {cpu_slot}), at(0, 0, {cpu_slot})});
    CHECK(d.keep == Indices{0, 1});
    CHECK(d.unload.empty());
    CHECK(d.load == Indices{2});
  }
  SECTION("one wanted: the first kept, the second unloaded") {
    const PlacementDiff d = diff(loaded, {at(0, 0, {cpu_slot})});
    CHECK(d.keep == Indices{0});
    CHECK(d.unload == Indices{1});
    CHECK(d.load.empty());
  }
  SECTION("none wanted: everything unloaded") {
    const PlacementDiff d = diff(loaded, {});
    CHECK(d.unload == Indices{0, 1});
    CHECK(d.keep.empty());
    CHECK(d.load.empty());
  }
}

TEST_CASE("applying a diff to random placements gives the wanted one, touching the fewest") {
  std::mt19937_64 rng(18);
  const auto random_placement = [&] {
    std::vector<LoadedInstance> p;
    const int n = std::uniform_int_distribution(0, 12)(rng);
    for (int i = 0; i < n; ++i) {
      std::vector<DeviceSlot> devices{std::uniform_int_distribution(0, 2)(rng)};
      if (rng() % 4 == 0) devices.push_back(3);
      p.push_back(at(std::uniform_int_distribution(0, 2)(rng),
                     std::uniform_int_distribution(0, 1)(rng), devices));
    }
    return p;
  };
  const auto key = [](const LoadedInstance& i) {
    return std::tuple(i.service, i.server, i.devices);
  };
  const auto sorted = [&](std::vector<LoadedInstance> p) {
    std::sort(p.begin(), p.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
    return p;
  };
  for (int round = 0; round < 500; ++round) {
    const std::vector<LoadedInstance> loaded = random_placement(), wanted = random_placement();
    const PlacementDiff d = diff(loaded, wanted);
    // keep + unload partition `loaded`; keep + load partition `wanted`
    Indices from_loaded = d.keep, from_wanted = d.kept_as;
    from_loaded.insert(from_loaded.end(), d.unload.begin(), d.unload.end());
    from_wanted.insert(from_wanted.end(), d.load.begin(), d.load.end());
    std::sort(from_loaded.begin(), from_loaded.end());
    std::sort(from_wanted.begin(), from_wanted.end());
    Indices all_loaded(loaded.size()), all_wanted(wanted.size());
    std::iota(all_loaded.begin(), all_loaded.end(), 0);
    std::iota(all_wanted.begin(), all_wanted.end(), 0);
    REQUIRE(from_loaded == all_loaded);
    REQUIRE(from_wanted == all_wanted);
    REQUIRE(d.keep.size() == d.kept_as.size());
    for (std::size_t i = 0; i < d.keep.size(); ++i)
      REQUIRE(loaded[d.keep[i]] == wanted[d.kept_as[i]]);
    // Kept plus loaded is the wanted placement.
    std::vector<LoadedInstance> after;
    for (std::size_t l : d.keep) after.push_back(loaded[l]);
    for (std::size_t w : d.load) after.push_back(wanted[w]);
    REQUIRE(sorted(after) == sorted(wanted));
    // Nothing is reloaded that could stay: as many kept as the two placements share.
    std::vector<LoadedInstance> a = sorted(loaded), b = sorted(wanted), shared;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(shared),
                          [&](const auto& x, const auto& y) { return key(x) < key(y); });
    REQUIRE(d.keep.size() == shared.size());
  }
}
