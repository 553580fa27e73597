#pragma once
// libepara: categorized parallel AI inference in edge clouds. This umbrella header includes
// every CPU-side component of epara::core; include the component headers to pull in less.

#include "epara/error.hpp"
#include "epara/units.hpp"

#include "epara/model/cluster.hpp"
#include "epara/model/device.hpp"
#include "epara/model/ids.hpp"
#include "epara/model/latency_curve.hpp"
#include "epara/model/network.hpp"
#include "epara/model/profile.hpp"
#include "epara/model/request.hpp"
#include "epara/model/scenario.hpp"
#include "epara/model/server.hpp"
#include "epara/model/service.hpp"
#include "epara/model/slo.hpp"
#include "epara/model/validate.hpp"

#include "epara/categorize.hpp"
