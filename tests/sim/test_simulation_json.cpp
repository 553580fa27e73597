// The "simulation" section of a scenario file: settings over the defaults, and bad fields
// named by their JSON path.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "epara/error.hpp"
#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulation_json.hpp"

using namespace epara;
using Json = nlohmann::json;

namespace {

Json scenario_with(Json simulation) {
  Json j = Json::parse(io::read_text_file(EPARA_TESTBED_JSON));
  j["simulation"] = std::move(simulation);
  return j;
}

sim::SimulationConfig parse(const Json& j) {
  const std::string text = j.dump();
  const Scenario s = io::parse_scenario(text, "sim.json");
  return sim::parse_simulation_config(text, "sim.json", s, "/data");
}

}  // namespace

TEST_CASE("No simulation section: the defaults", "[io][sim]") {
  const Json j = Json::parse(io::read_text_file(EPARA_TESTBED_JSON));
  const sim::SimulationConfig c = parse(j);
  const sim::SimulationConfig defaults;
  CHECK(c.duration == defaults.duration);
  CHECK(c.seed == defaults.seed);
  CHECK(c.faults.empty());
  CHECK_FALSE(c.trace);
}

TEST_CASE("Every simulation setting is read", "[io][sim]") {
  const sim::SimulationConfig c = parse(scenario_with(Json::parse(R"({
    "duration_s": 120, "warmup_s": 20, "seed": 9, "arrivals": "gamma", "burstiness": 2.5,
    "load_scale": 1.5, "load_profile": [{"at_s": 30, "factor": 2}, {"at_s": 60, "factor": 0.5},
                     {"at_s": 70, "factor": 3, "service": "chat-llm", "origin": "edge-3"}],
    "sync_period_ms": 50, "sync_loss": 0.1, "sync_delay_ms": 20, "placement_period_s": 15,
    "failure_detection_ms": 250,
    "weighting": "demand-share", "serve_every_service": false, "spare_replicas": false,
    "attainment_floor": 0.25, "interference": 1.3, "pass_time_scale": 1.1, "pass_time_cv": 0.1,
    "pass_time_scale_by_batch": [1.2, 0.9],
    "hop_limit": 2,
    "faults": [{"at_s": 10, "kind": "server_down", "server": "edge-2"},
               {"at_s": 12, "kind": "device_down", "server": "edge-1", "device": 3},
               {"at_s": 14, "kind": "device_up", "server": "pi-1", "device": "cpu"}],
    "trace": {"file": "traces/t.csv", "service": "chat-llm", "origins": ["edge-1", "edge-3"],
              "speedup": 4, "prefill_weight": 0.2}
  })")));
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  CHECK(c.duration == seconds(120));
  CHECK(c.warmup == seconds(20));
  CHECK(c.seed == 9);
  CHECK(c.arrivals == sim::ArrivalProcess::Gamma);
  CHECK(c.burstiness == 2.5);
  CHECK(c.load_scale == 1.5);
  REQUIRE(c.load_profile.size() == 3);
  CHECK(c.load_profile[1].at == seconds(60));
  CHECK(c.load_profile[1].factor == 0.5);
  CHECK_FALSE(c.load_profile[1].service);
  CHECK_FALSE(c.load_profile[1].origin);
  REQUIRE(c.load_profile[2].service);
  CHECK(index_of(*c.load_profile[2].service) == 0);  // chat-llm
  REQUIRE(c.load_profile[2].origin);
  CHECK(index_of(*c.load_profile[2].origin) == 2);
  CHECK(c.sync_period == milliseconds(50));
  CHECK(c.sync_loss == 0.1);
  CHECK(c.sync_delay == milliseconds(20));
  CHECK(c.placement_period == seconds(15));
  CHECK(c.failure_detection == std::chrono::milliseconds(250));
  CHECK(c.weighting == Weighting::DemandShare);
  CHECK_FALSE(c.serve_every_service);
  CHECK_FALSE(c.spare_replicas);
  CHECK(c.attainment_floor == 0.25);
  CHECK_FALSE(c.choose_attainment_floor);
  CHECK(c.interference == 1.3);
  CHECK(c.pass_time_scale == 1.1);
  CHECK(c.pass_time_cv == 0.1);
  CHECK(c.pass_time_scale_by_batch == std::vector<double>{1.2, 0.9});
  CHECK(c.handler.hop_limit == 2);
  REQUIRE(c.faults.size() == 3);
  CHECK(c.faults[0].kind == sim::FaultKind::ServerDown);
  CHECK(index_of(c.faults[0].server) == 1);
  CHECK(c.faults[1].device == 3);
  CHECK(c.faults[2].device == cpu_slot);
  REQUIRE(c.trace);
  CHECK(c.trace->file == "/data/traces/t.csv");
  CHECK(c.trace->origins.size() == 2);
  CHECK(c.trace->speedup == 4);
  CHECK(c.trace->prefill_weight == 0.2);
}

TEST_CASE("attainment_floor auto lets the scheduler choose the floor", "[io][sim]") {
  const sim::SimulationConfig automatic =
      parse(scenario_with(Json::parse(R"({"attainment_floor": "auto"})")));
  CHECK(automatic.choose_attainment_floor);
  CHECK(automatic.attainment_floor == 0.0);
  CHECK_FALSE(sim::SimulationConfig{}.choose_attainment_floor);
}

TEST_CASE("A bad simulation field is an error naming its path", "[io][sim]") {
  struct Case {
    const char* simulation;
    const char* message;
  };
  const Case cases[] = {
      {R"({"duration_s": 0})", "simulation.duration_s"},
      {R"({"duration_s": 10, "warmup_s": 10})", "warmup_s must be below duration_s"},
      {R"({"durations": 10})", "durations"},
      {R"({"arrivals": "uniform"})", "simulation.arrivals"},
      {R"({"weighting": "votes"})", "simulation.weighting"},
      {R"({"serve_every_service": 1})", "simulation.serve_every_service: expected true or false"},
      {R"({"spare_replicas": "yes"})", "simulation.spare_replicas: expected true or false"},
      {R"({"sync_loss": 1.5})", "simulation.sync_loss: must be in [0, 1]"},
      {R"({"attainment_floor": 1.5})",
       "simulation.attainment_floor: must be \"auto\" or in [0, 1]"},
      {R"({"attainment_floor": "fair"})", "simulation.attainment_floor: must be one of 'auto'"},
      {R"({"interference": 0.5})", "simulation.interference: must be in [1, 100] (got 0.5)"},
      {R"({"pass_time_scale": 0})", "simulation.pass_time_scale: must be in [0.1, 10] (got 0)"},
      {R"({"pass_time_scale_by_batch": [1, 20]})",
       "simulation.pass_time_scale_by_batch[1]: must be in [0.1, 10] (got 20)"},
      {R"({"pass_time_cv": -0.1})", "simulation.pass_time_cv: must be in [0, 1] (got -0.1)"},
      {R"({"hop_limit": 9})", "simulation.hop_limit"},
      {R"({"load_profile": [{"at_s": 1, "factor": -1}]})", "simulation.load_profile[0].factor"},
      {R"({"load_profile": [{"at_s": 1, "factor": 2, "origin": "edge-9"}]})",
       "simulation.load_profile[0].origin"},
      {R"({"load_profile": [{"at_s": 1, "factor": 2, "service": "sing"}]})",
       "simulation.load_profile[0].service"},
      {R"({"faults": [{"at_s": 1, "kind": "melt", "server": "edge-1"}]})",
       "simulation.faults[0].kind"},
      {R"({"faults": [{"at_s": 1, "kind": "server_down", "server": "edge-9"}]})",
       "simulation.faults[0].server"},
      {R"({"faults": [{"at_s": 1, "kind": "device_down", "server": "edge-1"}]})",
       "a device fault needs 'device'"},
      {R"({"faults": [{"at_s": 1, "kind": "server_down", "server": "edge-1", "device": 0}]})",
       "'device' belongs to device_down and device_up only"},
      {R"({"faults": [{"at_s": 1, "kind": "device_down", "server": "edge-1", "device": 4}]})",
       "simulation.faults[0].device"},
      {R"({"faults": [{"at_s": 1, "kind": "device_down", "server": "edge-1", "device": "cpu"}]})",
       "server 'edge-1' has no such device"},
      {R"({"trace": {"file": "t.csv", "service": "video-detect", "origins": ["edge-1"]}})",
       "the service must be latency-sensitive"},
      {R"({"trace": {"file": "t.csv", "service": "chat-llm", "origins": []}})",
       "simulation.trace.origins: needs at least one server"},
      // Beyond the documented ranges (include/epara/model/limits.hpp): each once wrapped round
      // silently (a fault at 1e300 s fired at t = 0) or made the run endless.
      {R"({"faults": [{"at_s": 1e300, "kind": "server_down", "server": "edge-1"}]})",
       "simulation.faults[0].at_s: must be in [0, 1000000] (got 1e+300)"},
      {R"({"duration_s": 1e300})", "simulation.duration_s: must be in (0, 1000000] (got 1e+300)"},
      {R"({"duration_s": 1e-12})", "simulation.duration_s: must be at least 1 ns"},
      {R"({"load_scale": 1e-300})", "simulation.load_scale: must be in [0.001, 1000]"},
      {R"({"load_scale": 1e9})",
       "simulation.load_scale: must be in [0.001, 1000] (got 1000000000)"},
      {R"({"burstiness": 1e-300})", "simulation.burstiness: must be in [0.01, 100]"},
      {R"({"load_profile": [{"at_s": 1, "factor": 1e300}]})",
       "simulation.load_profile[0].factor: must be in [0, 1000]"},
      {R"({"sync_period_ms": 1e300})", "simulation.sync_period_ms: must be in [0.001, 1000000000]"},
      {R"({"placement_period_s": 1e-9})",
       "simulation.placement_period_s: must be in [0.001, 1000000] (got 1e-09)"},
      {R"({"trace": {"file": "t.csv", "service": "chat-llm", "origins": ["edge-1"],
                     "speedup": 1e300}})",
       "simulation.trace.speedup: must be in [0.001, 1000]"},
  };
  for (const Case& c : cases) {
    INFO(c.simulation);
    const Json j = scenario_with(Json::parse(c.simulation));
    CHECK_THROWS_AS(parse(j), InvalidArgument);
    CHECK_THROWS_WITH(parse(j), Catch::StartsWith("sim.json: ") && Catch::Contains(c.message));
  }
}
