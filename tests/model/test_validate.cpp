#include <functional>
#include <random>

#include <catch2/catch.hpp>

#include "epara/model/validate.hpp"
#include "support/random_scenario.hpp"

using namespace epara;

TEST_CASE("random consistent scenarios validate") {
  std::mt19937_64 rng(8);
  for (int trial = 0; trial < 200; ++trial)
    REQUIRE_NOTHROW(validate(testing::random_scenario(rng)));
}

TEST_CASE("each inconsistency is named by its path") {
  std::mt19937_64 rng(8);
  Scenario base = testing::random_scenario(rng);
  while (base.cluster.servers.size() < 2 || base.services.empty())
    base = testing::random_scenario(rng);
  const auto gpu = DeviceClassId{0};
  const auto cpu = id_at<DeviceClassId>(base.cluster.device_classes.size() - 1);

  const std::vector<std::pair<std::function<void(Scenario&)>, std::string>> cases{
      {[](Scenario& s) { s.cluster.device_classes[0].name = ""; },
       "device_classes[0].name: must not be empty"},
      {[](Scenario& s) { s.cluster.servers[1].name = s.cluster.servers[0].name; },
       "servers[1].name: duplicate server name"},
      {[](Scenario& s) { s.cluster.device_classes[0].relative_speed = 0; },
       "device_classes[0].relative_speed: must be finite and > 0"},
      {[&](Scenario& s) {
         s.cluster.servers[0] = {"x", ServerKind::EdgeServer, {cpu}, {}};
       },
       "servers[0].gpus: 'cpu' is a CPU class, not a GPU class"},
      {[&](Scenario& s) {
         s.cluster.servers[0] = {"x", ServerKind::Microcomputer, {}, gpu};
       },
       "servers[0].cpu: 'gpu0' is a GPU class, not a CPU class"},
      {[&](Scenario& s) {
         s.cluster.servers[0] = {"x", ServerKind::EmbeddedBoard, {gpu, gpu}, {}};
       },
       "servers[0]: an embedded_board has exactly one GPU (got 2)"},
      {[&](Scenario& s) {
         s.cluster.servers[0] = {"x", ServerKind::Microcomputer, {gpu}, cpu};
       },
       "servers[0]: a microcomputer has no GPUs"},
      {[&](Scenario& s) { s.cluster.servers[0].gpus.push_back(DeviceClassId{99}); },
       "servers[0].gpus: device class id 99 out of range"},
      {[](Scenario& s) { s.cluster.network = Network(s.cluster.servers.size(), {}); },
       "cannot reach server"},
      {[](Scenario& s) { s.cluster.network = Network(1, {}); }, "network: joins 1 servers"},
      {[](Scenario& s) { s.profiles[0].curves.clear(); }, "profiles[0].curves: needs at least one"},
      {[](Scenario& s) { s.profiles[0].curves.push_back(s.profiles[0].curves[0]); },
       "a second curve for the same device_class and gpus"},
      {[&](Scenario& s) {
         s.profiles[0].curves.push_back({cpu, 2, LatencyCurve({{1, Duration{5}}})});
       },
       "gpus: must be 1 on a CPU class"},
      {[](Scenario& s) { s.services[0].profile = ProfileId{77}; },
       "services[0].profile: id out of range"},
      {[](Scenario& s) { s.services[0].model_memory = Bytes{0}; },
       "services[0].model_memory: must be > 0"},
      {[](Scenario& s) { s.services[0].slo = Slo::latency(Duration::zero()); },
       "services[0].slo.deadline: must be > 0"},
      {[](Scenario& s) { s.services[0].slo = Slo::frequency(Rate{0}, Duration{5}); },
       "services[0].slo.rate: must be finite and > 0"},
      {[](Scenario& s) {
         s.demand = {{ServiceId{0}, ServerId{50}, Rate{1}, 0}};
       },
       "demand[0].origin: id out of range"},
      {[](Scenario& s) {
         s.services[0].slo = Slo::latency(Duration{5});
         s.demand = {{ServiceId{0}, ServerId{0}, Rate{}, 3}};
       },
       "demand[0]: 'service0' is latency-sensitive: give rate_per_s > 0, not streams"},
  };
  for (const auto& [mutate, message] : cases) {
    INFO(message);
    Scenario s = base;
    mutate(s);
    REQUIRE_THROWS_WITH(validate(s), Catch::Contains(message));
  }
}
