#pragma once
// The built-in replica schedulers, each adding its descriptor (factory and traits) to a
// registry; make_replica_scheduler_registry() calls them.
#include "infersweep/sim/replica_scheduler.hpp"

namespace infersweep::sim {

void add_vllm_scheduler(ReplicaSchedulerRegistry& registry);
void add_sarathi_scheduler(ReplicaSchedulerRegistry& registry);
void add_orca_scheduler(ReplicaSchedulerRegistry& registry);
void add_faster_transformer_scheduler(ReplicaSchedulerRegistry& registry);
void add_lightllm_scheduler(ReplicaSchedulerRegistry& registry);
void add_vllm_v1_scheduler(ReplicaSchedulerRegistry& registry);

}  // namespace infersweep::sim
