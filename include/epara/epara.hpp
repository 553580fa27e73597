#pragma once
// libepara: categorized parallel AI inference in edge clouds. This umbrella header includes
// every CPU-side component of epara::core; include the component headers to pull in less.

#include "epara/error.hpp"
#include "epara/units.hpp"

#include "epara/model/cluster.hpp"
#include "epara/model/demand.hpp"
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

#include "epara/parallel/allocator.hpp"
#include "epara/parallel/cost_model.hpp"
#include "epara/parallel/default_policies.hpp"
#include "epara/parallel/explain.hpp"
#include "epara/parallel/mode.hpp"
#include "epara/parallel/multi_task.hpp"
#include "epara/parallel/plan.hpp"
#include "epara/parallel/plan_search.hpp"
#include "epara/parallel/policy.hpp"
#include "epara/parallel/problem.hpp"
#include "epara/parallel/replica_timing.hpp"
#include "epara/parallel/sizing.hpp"
