#include <filesystem>
#include <functional>
#include <random>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "epara/io/scenario_json.hpp"
#include "support/random_scenario.hpp"

using namespace epara;
using Json = nlohmann::json;

namespace {

// A small valid scenario; each bad-input case below breaks one thing in it.
const char* const base_text = R"({
  "device_classes": [
    {"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1},
    {"name": "c", "kind": "cpu", "memory_gib": 4, "relative_speed": 1}],
  "servers": [
    {"name": "a", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 2}]},
    {"name": "b", "kind": "embedded_board", "gpus": [{"device_class": "g", "count": 1}]},
    {"name": "m", "kind": "microcomputer", "cpu": "c"}],
  "network": {"links": [
    {"between": ["a", "b"], "latency_ms": 1, "bandwidth_gbps": 1},
    {"between": ["b", "m"], "latency_ms": 2, "bandwidth_gbps": 0.1}]},
  "profiles": [{"name": "p", "source": "test", "curves": [
    {"device_class": "g", "gpus": 1,
     "points": [{"batch": 1, "latency_ms": 10}, {"batch": 4, "latency_ms": 20}]},
    {"device_class": "c", "gpus": 1, "max_batch": 2, "points": [{"batch": 1, "latency_ms": 50}]}]}],
  "services": [
    {"name": "s", "profile": "p", "model_memory_gib": 1, "input_kib": 10,
     "slo": {"type": "latency", "deadline_ms": 100}},
    {"name": "f", "profile": "p", "model_memory_gib": 1, "input_kib": 10,
     "slo": {"type": "frequency", "rate_per_s": 30, "deadline_ms": 100}}],
  "demand": [
    {"service": "s", "origin": "a", "rate_per_s": 12.5},
    {"service": "f", "origin": "m", "streams": 3}]
})";

Scenario parse(const Json& j) { return io::parse_scenario(j.dump(), "test.json"); }

struct BadCase {
  std::string what;
  std::function<void(Json&)> mutate;
  std::string message;  // the expected error, after "test.json: "
};

// Each case, applied to `base`, fails with its message after the file's name.
void expect_errors(const Json& base, const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    INFO(c.what);
    Json j = base;
    c.mutate(j);
    REQUIRE_THROWS_AS(parse(j), InvalidArgument);
    REQUIRE_THROWS_WITH(parse(j), Catch::StartsWith("test.json: " + c.message));
  }
}

}  // namespace

TEST_CASE("the base scenario reads as written") {
  const Scenario s = io::parse_scenario(base_text, "test.json");
  REQUIRE(s.cluster.servers.size() == 3);
  CHECK(s.cluster.servers[0].gpus.size() == 2);
  CHECK(s.cluster.servers[2].cpu == DeviceClassId{1});
  CHECK(s.cluster.network.path(ServerId{0}, ServerId{2})->latency == from_ms(3));
  CHECK(s.cluster.network.path(ServerId{0}, ServerId{2})->bottleneck == Bandwidth::gbit_per_s(0.1));
  CHECK(s.profiles[0].curves[1].latency.max_batch() == 2);
  CHECK(s.services[1].slo == Slo::frequency(Rate{30}, from_ms(100)));
  CHECK(s.services[0].input_size == Bytes::kib(10));
  REQUIRE(s.demand.size() == 2);
  CHECK(s.demand[0] == Demand{ServiceId{0}, ServerId{0}, Rate{12.5}, 0});
  CHECK(s.demand[1].items(s.services[1].slo) == Rate{90});
  const auto load = total_load(s.demand, s.services.size());
  CHECK(load[1].streams == 3);
}

TEST_CASE("the shipped testbed scenario loads and round-trips") {
  const Scenario s = io::load_scenario(EPARA_TESTBED_JSON);
  CHECK(s.cluster.servers.size() == 7);
  CHECK(s.services.size() == 7);
  const std::string text = io::scenario_to_json(s);
  const Scenario again = io::parse_scenario(text, "round-trip");
  CHECK(again == s);
  CHECK(io::scenario_to_json(again) == text);  // writing is deterministic

  const auto path = std::filesystem::temp_directory_path() / "epara_test_roundtrip.json";
  io::save_scenario(s, path);
  CHECK(io::load_scenario(path) == s);
  std::filesystem::remove(path);
}

TEST_CASE("a measured profile keeps how it was measured through a round trip") {
  Json j = Json::parse(base_text);
  j["profiles"][0]["measured"] = {{"machine", "AMD EPYC (2 cores)"},
                                  {"libraries", "Eigen 3.4.0, g++ 12.2.0"},
                                  {"date", "2026-12-05"},
                                  {"repeats", 15}};
  const Scenario s = parse(j);
  REQUIRE(s.profiles[0].measured);
  CHECK(s.profiles[0].measured->machine == "AMD EPYC (2 cores)");
  CHECK(s.profiles[0].measured->repeats == 15);
  CHECK(io::parse_scenario(io::scenario_to_json(s), "round-trip") == s);
  CHECK_FALSE(parse(Json::parse(base_text)).profiles[0].measured);
}

TEST_CASE("random scenarios round-trip through JSON exactly") {
  std::mt19937_64 rng(31337);
  for (int trial = 0; trial < 200; ++trial) {
    const Scenario s = testing::random_scenario(rng);
    const Scenario again = io::parse_scenario(io::scenario_to_json(s), "random");
    REQUIRE(again == s);
  }
}

TEST_CASE("bad input names the file and the JSON path") {
  const Json base = Json::parse(base_text);
  const std::vector<BadCase> cases{
      {"unknown field", [](Json& j) { j["services"][1]["deadlne_ms"] = 5; },
       "services[1]: unknown field 'deadlne_ms'"},
      {"demand with both", [](Json& j) { j["demand"][0]["streams"] = 2; },
       "demand[0]: give exactly one of rate_per_s, streams"},
      {"streams for a request service",
       [](Json& j) {
         j["demand"][0].erase("rate_per_s");
         j["demand"][0]["streams"] = 2;
       },
       "demand[0]: 's' is latency-sensitive: give rate_per_s > 0, not streams"},
      {"rate for a stream service",
       [](Json& j) {
         j["demand"][1].erase("streams");
         j["demand"][1]["rate_per_s"] = 2;
       },
       "demand[1]: 'f' is frequency-sensitive: give streams >= 1, not a rate"},
      {"demand at an unknown server", [](Json& j) { j["demand"][1]["origin"] = "q"; },
       "demand[1].origin: unknown server 'q'"},
      {"unknown top-level field", [](Json& j) { j["workload"] = Json::object(); },
       "(top level): unknown field 'workload'"},
      {"wrong type", [](Json& j) { j["device_classes"][0]["memory_gib"] = "16"; },
       "device_classes[0].memory_gib: expected a number, got string"},
      {"boolean for a number", [](Json& j) { j["services"][0]["input_kib"] = true; },
       "services[0].input_kib: expected a number, got boolean"},
      {"not an array", [](Json& j) { j["servers"] = Json::object(); },
       "servers: expected an array, got object"},
      {"top level not an object", [](Json& j) { j = Json::array(); },
       "(top level): expected an object, got array"},
      {"missing required field", [](Json& j) { j["services"][0].erase("slo"); },
       "services[0]: missing required field 'slo'"},
      {"missing nested field", [](Json& j) { j["services"][1]["slo"].erase("rate_per_s"); },
       "services[1].slo: missing required field 'rate_per_s'"},
      {"measurement dated otherwise",
       [](Json& j) {
         j["profiles"][0]["measured"] = {
             {"machine", "x"}, {"libraries", "y"}, {"date", "5 Dec 2026"}, {"repeats", 3}};
       },
       "profiles[0].measured.date: must be a date as YYYY-MM-DD"},
      {"measurement without repeats",
       [](Json& j) {
         j["profiles"][0]["measured"] = {
             {"machine", "x"}, {"libraries", "y"}, {"date", "2026-12-05"}};
       },
       "profiles[0].measured: missing required field 'repeats'"},
      {"measurement of no passes",
       [](Json& j) {
         j["profiles"][0]["measured"] = {
             {"machine", "x"}, {"libraries", "y"}, {"date", "2026-12-05"}, {"repeats", 0}};
       },
       "profiles[0].measured.repeats: "},
      {"negative deadline", [](Json& j) { j["services"][0]["slo"]["deadline_ms"] = -5; },
       "services[0].slo.deadline_ms: must be in (0, 1000000000] (got -5)"},
      {"zero rate", [](Json& j) { j["services"][1]["slo"]["rate_per_s"] = 0; },
       "services[1].slo.rate_per_s: must be in [1e-06, 10000] (got 0)"},
      {"zero memory", [](Json& j) { j["device_classes"][1]["memory_gib"] = 0.0; },
       "device_classes[1].memory_gib: must be in (0, 1048576]"},
      {"negative latency", [](Json& j) { j["network"]["links"][0]["latency_ms"] = -1; },
       "network.links[0].latency_ms: must be in [0, 1000000000] (got -1)"},
      {"zero count", [](Json& j) { j["servers"][0]["gpus"][0]["count"] = 0; },
       "servers[0].gpus[0].count: must be in [1, 64] (got 0)"},
      {"fractional batch",
       [](Json& j) { j["profiles"][0]["curves"][0]["points"][0]["batch"] = 1.5; },
       "profiles[0].curves[0].points[0].batch: expected an integer, got number"},
      {"unknown choice", [](Json& j) { j["services"][0]["slo"]["type"] = "throughput"; },
       "services[0].slo.type: must be one of 'latency', 'frequency' (got 'throughput')"},
      {"empty name", [](Json& j) { j["servers"][1]["name"] = ""; },
       "servers[1].name: must not be empty"},
      {"unknown device class", [](Json& j) { j["servers"][0]["gpus"][0]["device_class"] = "h100"; },
       "servers[0].gpus[0].device_class: unknown device class 'h100'"},
      {"unknown profile", [](Json& j) { j["services"][1]["profile"] = "nope"; },
       "services[1].profile: unknown profile 'nope'"},
      {"unknown server in a link", [](Json& j) { j["network"]["links"][1]["between"][1] = "z"; },
       "network.links[1].between[1]: unknown server 'z'"},
      {"duplicate name", [](Json& j) { j["servers"][2]["name"] = "a"; },
       "servers[2].name: duplicate server name 'a' (first declared at servers[0].name)"},
      {"GPU class as a CPU", [](Json& j) { j["servers"][2]["cpu"] = "g"; },
       "servers[2].cpu: 'g' is a GPU class, not a CPU class"},
      {"CPU class as a GPU", [](Json& j) { j["servers"][1]["gpus"][0]["device_class"] = "c"; },
       "servers[1].gpus: 'c' is a CPU class, not a GPU class"},
      {"microcomputer with a GPU",
       [](Json& j) {
         j["servers"][2]["gpus"] = Json::parse(R"([{"device_class":"g","count":1}])");
       },
       "servers[2]: a microcomputer has no GPUs"},
      {"microcomputer without a CPU", [](Json& j) { j["servers"][2].erase("cpu"); },
       "servers[2]: a microcomputer needs a 'cpu' device class"},
      {"board with two GPUs", [](Json& j) { j["servers"][1]["gpus"][0]["count"] = 2; },
       "servers[1]: an embedded_board has exactly one GPU (got 2)"},
      {"edge server without GPUs", [](Json& j) { j["servers"][0].erase("gpus"); },
       "servers[0]: an edge_server needs at least one GPU or a 'cpu' device class"},
      {"self link",
       [](Json& j) {
         j["network"]["links"][0]["between"] = {"a", "a"};
       },
       "network.links[0].between: a link must join two different servers"},
      {"three-ended link",
       [](Json& j) {
         j["network"]["links"][0]["between"] = {"a", "b", "m"};
       },
       "network.links[0].between: must name exactly two servers"},
      {"repeated link",
       [](Json& j) {
         j["network"]["links"][1]["between"] = {"b", "a"};
       },
       "network.links[1]: a second link between the same servers (first at network.links[0])"},
      {"disconnected network", [](Json& j) { j["network"]["links"].erase(1); },
       "network.links: server 'a' cannot reach server 'm'"},
      {"no curves", [](Json& j) { j["profiles"][0]["curves"] = Json::array(); },
       "profiles[0].curves: needs at least one curve"},
      {"no points", [](Json& j) { j["profiles"][0]["curves"][0]["points"] = Json::array(); },
       "profiles[0].curves[0].points: needs at least one measured point"},
      {"batch measured twice",
       [](Json& j) { j["profiles"][0]["curves"][0]["points"][1]["batch"] = 1; },
       "profiles[0].curves[0].points[1].batch: batch measured twice"},
      {"zero latency",
       [](Json& j) { j["profiles"][0]["curves"][0]["points"][0]["latency_ms"] = 0; },
       "profiles[0].curves[0].points[0].latency_ms: must be in (0, 1000000000] (got 0)"},
      {"max_batch below a measurement",
       [](Json& j) { j["profiles"][0]["curves"][1]["max_batch"] = 0; },
       "profiles[0].curves[1].max_batch: must be in [1, 65536] (got 0)"},
      {"max_batch below a measured batch",
       [](Json& j) { j["profiles"][0]["curves"][0]["max_batch"] = 2; },
       "profiles[0].curves[0].max_batch: is below the measured batch 4"},
      {"several CPUs per replica", [](Json& j) { j["profiles"][0]["curves"][1]["gpus"] = 2; },
       "profiles[0].curves[1].gpus: must be 1 on a CPU class"},
      {"repeated curve", [](Json& j) { j["profiles"][0]["curves"][1]["device_class"] = "g"; },
       "profiles[0].curves[1]: a second curve for the same device_class and gpus"},
  };
  expect_errors(base, cases);
}

TEST_CASE("numbers outside the documented ranges are errors naming the field") {
  // Each of these once converted silently to a wrapped-round time, size or rate (a latency of
  // 1e308 ms became "negative latency" with no field named; 1.8e21 GiB was undefined
  // behaviour) or made a run endless (a stream at 3e9 items/s had a 0 ns frame interval).
  const Json base = Json::parse(base_text);
  const std::vector<BadCase> cases{
      {"huge memory", [](Json& j) { j["device_classes"][0]["memory_gib"] = 1.8e21; },
       "device_classes[0].memory_gib: must be in (0, 1048576] (got 1.8e+21)"},
      {"memory below a byte", [](Json& j) { j["services"][0]["model_memory_gib"] = 1e-300; },
       "services[0].model_memory_gib: must be at least 1 byte"},
      {"tiny device speed", [](Json& j) { j["device_classes"][0]["relative_speed"] = 1e-300; },
       "device_classes[0].relative_speed: must be in [0.001, 1000]"},
      {"huge link latency", [](Json& j) { j["network"]["links"][0]["latency_ms"] = 1e308; },
       "network.links[0].latency_ms: must be in [0, 1000000000] (got 1e+308)"},
      {"tiny bandwidth", [](Json& j) { j["network"]["links"][1]["bandwidth_gbps"] = 1e-300; },
       "network.links[1].bandwidth_gbps: must be in [0.001, 1000000]"},
      {"latency below a nanosecond",
       [](Json& j) { j["profiles"][0]["curves"][0]["points"][0]["latency_ms"] = 1e-9; },
       "profiles[0].curves[0].points[0].latency_ms: must be at least 1 ns"},
      {"huge input", [](Json& j) { j["services"][0]["input_kib"] = 1e300; },
       "services[0].input_kib: must be in [0, 16777216]"},
      {"huge load time", [](Json& j) { j["services"][0]["load_time_s"] = 1e300; },
       "services[0].load_time_s: must be in [0, 1000000]"},
      {"huge deadline", [](Json& j) { j["services"][0]["slo"]["deadline_ms"] = 1e300; },
       "services[0].slo.deadline_ms: must be in (0, 1000000000]"},
      {"frame rate beyond any camera", [](Json& j) { j["services"][1]["slo"]["rate_per_s"] = 3e9; },
       "services[1].slo.rate_per_s: must be in [1e-06, 10000] (got 3000000000)"},
      {"tiny demand rate", [](Json& j) { j["demand"][0]["rate_per_s"] = 1e-300; },
       "demand[0].rate_per_s: must be in [1e-06, 10000000]"},
      {"huge demand rate", [](Json& j) { j["demand"][0]["rate_per_s"] = 1e300; },
       "demand[0].rate_per_s: must be in [1e-06, 10000000] (got 1e+300)"},
  };
  expect_errors(base, cases);
  // The ends of every range are accepted.
  Json ends = base;
  ends["device_classes"][0]["memory_gib"] = 1048576;
  ends["device_classes"][0]["relative_speed"] = 0.001;
  ends["network"]["links"][0]["bandwidth_gbps"] = 1e6;
  ends["services"][0]["input_kib"] = 16777216;
  ends["services"][1]["slo"]["rate_per_s"] = 1e4;
  ends["demand"][0]["rate_per_s"] = 1e-6;
  const Scenario s = parse(ends);
  CHECK(s.cluster.device_classes[0].memory == Bytes::gib(1048576));
  CHECK(s.services[0].input_size == Bytes::kib(16777216));
  CHECK(s.demand[0].rate.per_second == 1e-6);
}

TEST_CASE("bad JSON text names the line and column") {
  SECTION("syntax error") {
    const std::string text = "{\n  \"servers\": [\n    {\"name\" \"a\"}\n  ]\n}";
    CHECK_THROWS_WITH(
        io::parse_scenario(text, "test.json"),
        Catch::StartsWith("test.json:3:15: invalid JSON: ") && Catch::Contains("syntax error"));
  }
  SECTION("non-finite number") {
    const std::string text = "{\n  \"device_classes\": [\n    {\"memory_gib\": -1e999}]}";
    CHECK_THROWS_WITH(io::parse_scenario(text, "test.json"),
                      "test.json:3:20: invalid JSON: number overflow parsing '-1e999' (numbers "
                      "must be finite)");
  }
  SECTION("a field given twice") {
    const std::string text = R"({"device_classes": [{"name": "g", "name": "h"}]})";
    CHECK_THROWS_WITH(io::parse_scenario(text, "test.json"),
                      "test.json: device_classes[0].name: field appears twice in one object");
  }
  SECTION("empty input") {
    CHECK_THROWS_WITH(io::parse_scenario("", "test.json"),
                      Catch::StartsWith("test.json:1:1: invalid JSON"));
  }
}

TEST_CASE("files that cannot be read or written are named") {
  CHECK_THROWS_WITH(io::load_scenario("/nonexistent/scenario.json"),
                    "/nonexistent/scenario.json: cannot open for reading");
  CHECK_THROWS_WITH(io::save_scenario(Scenario{}, "/nonexistent/dir/out.json"),
                    "/nonexistent/dir/out.json: cannot open for writing");
}
