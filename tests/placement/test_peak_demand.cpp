#include <catch2/catch.hpp>
#include <random>

#include "epara/placement/peak_demand.hpp"
#include "epara/placement/periodic_replacement.hpp"

using namespace epara;

namespace {
Demand rate(int service, int origin, double per_s) {
  return {ServiceId{static_cast<std::uint32_t>(service)},
          ServerId{static_cast<std::uint32_t>(origin)}, Rate{per_s}, 0};
}
}  // namespace

TEST_CASE("planned demand follows a rise at once and a fall after the periods remembered") {
  PeakDemand peak(3);
  CHECK(peak.add({rate(0, 1, 100)}) == std::vector{rate(0, 1, 100)});
  CHECK(peak.add({rate(0, 1, 300)}) == std::vector{rate(0, 1, 300)});  // up at once
  CHECK(peak.add({rate(0, 1, 50)}) == std::vector{rate(0, 1, 300)});
  CHECK(peak.add({rate(0, 1, 50)}) == std::vector{rate(0, 1, 300)});
  CHECK(peak.add({rate(0, 1, 50)}) == std::vector{rate(0, 1, 50)});  // 3 periods lower
  CHECK(peak.add({}) == std::vector{rate(0, 1, 50)});
  CHECK(peak.add({}) == std::vector{rate(0, 1, 50)});
  CHECK(peak.add({}).empty());
  CHECK_THROWS_AS(PeakDemand(0), InvalidArgument);
}

TEST_CASE("planned demand is per service and origin, streams included, ordered") {
  PeakDemand peak(2);
  Demand streams{ServiceId{1}, ServerId{0}, Rate{}, 4};
  peak.add({rate(2, 0, 10), streams, rate(0, 3, 7)});
  streams.streams = 2;
  const auto planned = peak.add({streams, rate(0, 2, 9)});
  CHECK(planned == std::vector{rate(0, 2, 9), rate(0, 3, 7),
                               Demand{ServiceId{1}, ServerId{0}, Rate{}, 4}, rate(2, 0, 10)});
}

TEST_CASE("planned demand is the peak of every period remembered, over random measurements") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> per_s(0, 100);
  PeakDemand peak(3);
  std::vector<std::vector<double>> history;  // per period, the rate of (0, origin) per origin
  for (int period = 0; period < 40; ++period) {
    std::vector<Demand> measured;
    std::vector<double> rates(4, 0.0);
    for (std::size_t origin = 0; origin < 4; ++origin)
      if (rng() % 3 != 0)
        measured.push_back(rate(0, static_cast<int>(origin), rates[origin] = per_s(rng)));
    history.push_back(rates);
    const auto planned = peak.add(measured);
    for (std::size_t origin = 0; origin < 4; ++origin) {
      double expected = 0.0;
      for (std::size_t p = history.size() >= 3 ? history.size() - 3 : 0; p < history.size(); ++p)
        expected = std::max(expected, history[p][origin]);
      double got = 0.0;
      for (const Demand& d : planned)
        if (d.origin == ServerId{static_cast<std::uint32_t>(origin)}) got = d.rate.per_second;
      CHECK(got == expected);
    }
  }
}

TEST_CASE("a re-placement keeps the loaded instances whose devices nothing new uses") {
  const auto inst = [](int service, int server, std::vector<DeviceSlot> devices) {
    return LoadedInstance{ServiceId{static_cast<std::uint32_t>(service)},
                          ServerId{static_cast<std::uint32_t>(server)}, std::move(devices)};
  };
  const std::vector<LoadedInstance> loaded{inst(0, 0, {0}), inst(1, 0, {1, 2}), inst(2, 1, {0}),
                                           inst(3, 1, {cpu_slot})};
  const std::vector<LoadedInstance> wanted{inst(4, 0, {2}), inst(5, 1, {1})};
  // (1, 0, {1, 2}) shares device 2 of server 0; the others' devices are free.
  CHECK(kept_idle<LoadedInstance>(loaded, wanted) ==
        std::vector{inst(0, 0, {0}), inst(2, 1, {0}), inst(3, 1, {cpu_slot})});
  CHECK(kept_idle<LoadedInstance>(loaded, loaded).empty());
  CHECK(kept_idle<LoadedInstance>({}, wanted).empty());
}
