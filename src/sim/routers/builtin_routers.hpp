#pragma once
// The built-in routers beyond Vidur's, each adding its descriptor to a registry;
// make_global_scheduler_registry() calls them.
#include "infersweep/sim/global_scheduler.hpp"

namespace infersweep::sim {

void add_least_outstanding_tokens_router(GlobalSchedulerRegistry& registry);
void add_least_kv_router(GlobalSchedulerRegistry& registry);
void add_prefix_aware_router(GlobalSchedulerRegistry& registry);

// The replica with the fewest outstanding tokens, the lowest id among equals.
int32_t least_outstanding_replica(const ReplicaLoads& loads);

}  // namespace infersweep::sim
