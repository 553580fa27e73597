#pragma once
// The shipped testbed scenario, loaded once per benchmark program.

#include "epara/io/scenario_json.hpp"

namespace epara::bench {

inline const Scenario& testbed() {
  static const Scenario s = io::load_scenario(EPARA_TESTBED_JSON);
  return s;
}

}  // namespace epara::bench
